// Package retention decides which backups to keep. It is a pure function of
// the backups, the policy and the time, so every rule can be tested over
// synthetic histories; applying the decisions to files is the store's job.
//
// A backup is kept when any rule keeps it:
//
//   - age: it is younger than Days days (elapsed time, Days×24h, so a DST
//     change neither shortens nor lengthens the window), verified or not;
//   - clock skew: its time is after now;
//   - keep-min: it is one of the KeepMin newest verified backups, however old;
//   - GFS: it is the newest verified backup of one of the Daily / Weekly /
//     Monthly newest calendar days / ISO weeks / months that have a verified
//     backup, in the location of now;
//   - no anchor: there is no verified backup at or before now, and then
//     nothing at all is deleted.
//
// GFS counts periods that have a verified backup, as restic's --keep-daily
// does: "Daily 7" keeps the last seven days on which a good backup was made,
// so a week of failed nights does not eat the budget and leave nothing.
//
// Only verified backups count for keep-min and GFS: an unverified backup is a
// file nobody has restored, and keeping it in place of a verified one would
// be keeping the wrong thing. Backups stamped in the future count for neither
// keep-min nor GFS (they are kept by their own rule): a skewed clock must not
// crowd the real newest backups out of the KeepMin slots.
package retention

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Backup is one backup as retention sees it. IDs should be unique: they
// break ties between backups with the same time and name the decisions.
type Backup struct {
	ID       string
	Time     time.Time
	Verified bool
}

// Policy says what to keep. The zero value of a count disables its rule,
// except KeepMin, which is never below 1.
type Policy struct {
	// Days keeps everything younger than Days days (the old script's
	// NDAY). At least 1.
	Days int
	// KeepMin keeps the newest KeepMin verified backups whatever their
	// age. 0 means the default, 1: the newest verified backup always
	// survives.
	KeepMin int
	// Daily, Weekly and Monthly keep the newest verified backup of each
	// of the last N calendar days, ISO weeks and months that have one.
	Daily, Weekly, Monthly int
}

// Validate reports a policy that cannot be meant. Plan does not need it, it
// clamps such a policy to the nearest safe one, but a configuration error
// should be reported rather than silently repaired.
func (p Policy) Validate() error {
	var errs []error
	if p.Days < 1 {
		errs = append(errs, fmt.Errorf("retention days must be at least 1, got %d", p.Days))
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"keep-min", p.KeepMin}, {"daily", p.Daily}, {"weekly", p.Weekly}, {"monthly", p.Monthly}} {
		if c.n < 0 {
			errs = append(errs, fmt.Errorf("retention %s must not be negative, got %d", c.name, c.n))
		}
	}
	return errors.Join(errs...)
}

// maxDays is the longest window a time.Duration can express.
const maxDays = math.MaxInt64 / int64(24*time.Hour)

// normalized clamps p so Plan is safe whatever it is given: the window is at
// least a day, at least one verified backup is kept, negative counts are 0.
func (p Policy) normalized() Policy {
	p.Days = int(min(max(int64(p.Days), 1), maxDays))
	p.KeepMin = max(p.KeepMin, 1)
	p.Daily, p.Weekly, p.Monthly = max(p.Daily, 0), max(p.Weekly, 0), max(p.Monthly, 0)
	return p
}

// Decision is what Plan decided for one backup and why. Reasons name every
// rule that keeps a kept backup, or the one reason a backup goes.
type Decision struct {
	Backup  Backup
	Keep    bool
	Reasons []string
}

// Plan returns one decision per backup, in the input order. It is pure: no
// I/O and no clock, now is the only time it knows. The result does not depend
// on the order of backups.
func Plan(backups []Backup, p Policy, now time.Time) []Decision {
	p = p.normalized()
	out := make([]Decision, len(backups))
	for i, b := range backups {
		out[i].Backup = b
	}
	keepRecent(out, p.Days, now)
	anchors := verifiedNewestFirst(backups, now)
	if len(anchors) == 0 {
		// A run of failures must not prune the history away: with nothing
		// verified to fall back on, every old file may be the only copy.
		for i := range out {
			out[i].keep(noAnchor)
		}
		return out
	}
	keepNewest(out, anchors, p.KeepMin)
	loc := now.Location()
	keepPeriods(out, anchors, p.Daily, func(t time.Time) period { return dayOf(t.In(loc)) })
	keepPeriods(out, anchors, p.Weekly, func(t time.Time) period { return weekOf(t.In(loc)) })
	keepPeriods(out, anchors, p.Monthly, func(t time.Time) period { return monthOf(t.In(loc)) })
	for i := range out {
		if !out[i].Keep {
			out[i].Reasons = []string{"older than " + days(p.Days) + unverified(out[i].Backup)}
		}
	}
	return out
}

// noAnchor is the reason everything is kept when no backup is verified yet.
const noAnchor = "no verified backup yet: nothing is deleted"

func (d *Decision) keep(reason string) {
	d.Keep = true
	d.Reasons = append(d.Reasons, reason)
}

// keepRecent applies the age and clock-skew rules. Younger means
// Time > now - Days×24h, computed as an elapsed duration, which saturates
// instead of overflowing for absurd times.
func keepRecent(out []Decision, n int, now time.Time) {
	window := time.Duration(n) * 24 * time.Hour
	for i := range out {
		b := out[i].Backup
		switch {
		case b.Time.After(now):
			out[i].keep("in the future (clock skew)")
		case now.Sub(b.Time) < window:
			out[i].keep("younger than " + days(n) + unverified(b))
		}
	}
}

// verifiedNewestFirst returns the indices of the verified backups at or
// before now, newest first; equal times are ordered by ID so the result does
// not depend on the input order.
func verifiedNewestFirst(backups []Backup, now time.Time) []int {
	var idx []int
	for i, b := range backups {
		if b.Verified && !b.Time.After(now) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(i, j int) int { return newer(backups[i], backups[j]) })
	return idx
}

// newer orders a before b when a is newer.
func newer(a, b Backup) int {
	if c := b.Time.Compare(a.Time); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

func keepNewest(out []Decision, anchors []int, n int) {
	for rank, i := range anchors[:min(n, len(anchors))] {
		if rank == 0 {
			out[i].keep("newest verified")
		} else {
			out[i].keep(fmt.Sprintf("one of the %d newest verified", n))
		}
	}
}

// period is a calendar day, ISO week or month: key orders periods in time,
// label names one in a reason.
type period struct {
	key   int
	label string
}

func dayOf(t time.Time) period {
	y, m, d := t.Date()
	return period{y*10000 + int(m)*100 + d, fmt.Sprintf("daily %04d-%02d-%02d", y, m, d)}
}

func weekOf(t time.Time) period {
	y, w := t.ISOWeek()
	return period{y*100 + w, fmt.Sprintf("weekly %04d-W%02d", y, w)}
}

func monthOf(t time.Time) period {
	y, m, _ := t.Date()
	return period{y*100 + int(m), fmt.Sprintf("monthly %04d-%02d", y, m)}
}

// keepPeriods keeps the newest anchor of each of the n latest periods that
// have one. The first anchor seen of a period is its newest, since anchors
// are newest first. Periods are ranked by their calendar key rather than by
// when they were first seen: the two orders agree unless a zone's offset
// moves back across midnight (a later instant on an earlier date), and then
// the calendar is what "the last N days" means.
func keepPeriods(out []Decision, anchors []int, n int, of func(time.Time) period) {
	if n == 0 {
		return
	}
	newest := map[int]int{} // period key → index of its newest anchor
	labels := map[int]string{}
	var keys []int
	for _, i := range anchors {
		p := of(out[i].Backup.Time)
		if _, seen := newest[p.key]; !seen {
			newest[p.key], labels[p.key] = i, p.label
			keys = append(keys, p.key)
		}
	}
	slices.SortFunc(keys, func(a, b int) int { return cmp.Compare(b, a) })
	for _, k := range keys[:min(n, len(keys))] {
		out[newest[k]].keep(labels[k])
	}
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func unverified(b Backup) string {
	if b.Verified {
		return ""
	}
	return " (unverified)"
}
