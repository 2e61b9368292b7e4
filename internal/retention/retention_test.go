package retention

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// berlin is a zone with DST. Debian ships tzdata; the embedded database is
// not linked in, so fall back to a fixed CET for the rules that do not
// depend on the change itself.
func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Logf("Europe/Berlin not available (%v): using a fixed +01:00", err)
		return time.FixedZone("CET", 3600)
	}
	return loc
}

// history builds backups from specs "v|u YYYY-MM-DD HH:MM[:SS][Z] [label]":
// verified or not, a time in loc (Z: in UTC), and a label to tell apart
// backups of the same second. The spec is the ID, so tests read as data.
func history(t *testing.T, loc *time.Location, specs ...string) []Backup {
	t.Helper()
	var out []Backup
	for _, spec := range specs {
		f := strings.Fields(spec)
		if len(f) < 3 || (f[0] != "v" && f[0] != "u") {
			t.Fatalf("bad spec %q", spec)
		}
		out = append(out, Backup{ID: spec, Time: at(t, loc, f[1]+" "+f[2]), Verified: f[0] == "v"})
	}
	return out
}

func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	if u, ok := strings.CutSuffix(s, "Z"); ok {
		s, loc = u, time.UTC
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if ts, err := time.ParseInLocation(layout, s, loc); err == nil {
			return ts
		}
	}
	t.Fatalf("bad time %q", s)
	return time.Time{}
}

func TestPlan(t *testing.T) {
	utc, ber := time.UTC, berlin(t)
	cases := []struct {
		name    string
		loc     *time.Location
		now     string
		policy  Policy
		history []string
		keep    []string          // IDs kept; every other one is deleted
		reasons map[string]string // ID → reasons joined by "; ", where it matters
	}{
		{name: "empty", loc: utc, now: "2026-11-27 12:00", policy: Policy{Days: 3}},
		{
			name: "only unverified: nothing is deleted", loc: utc, now: "2026-11-27 12:00", policy: Policy{Days: 3},
			history: []string{"u 2026-01-01 03:00", "u 2026-11-20 03:00", "u 2026-11-27 03:00"},
			keep:    []string{"u 2026-01-01 03:00", "u 2026-11-20 03:00", "u 2026-11-27 03:00"},
			reasons: map[string]string{
				"u 2026-01-01 03:00": noAnchor,
				"u 2026-11-27 03:00": "younger than 3 days (unverified); " + noAnchor,
			},
		},
		{
			name: "a very old newest verified survives", loc: utc, now: "2026-11-27 12:00", policy: Policy{Days: 3, KeepMin: 1},
			history: []string{"v 2025-05-01 03:00", "v 2025-06-01 03:00", "u 2026-11-20 03:00", "u 2026-11-26 03:00", "u 2026-11-27 03:00"},
			keep:    []string{"v 2025-06-01 03:00", "u 2026-11-26 03:00", "u 2026-11-27 03:00"},
			reasons: map[string]string{
				"v 2025-06-01 03:00": "newest verified",
				"v 2025-05-01 03:00": "older than 3 days",
				"u 2026-11-20 03:00": "older than 3 days (unverified)",
				"u 2026-11-26 03:00": "younger than 3 days (unverified)",
			},
		},
		{
			name: "keep-min 3 counts verified backups only", loc: utc, now: "2026-11-27 12:00", policy: Policy{Days: 1, KeepMin: 3},
			history: []string{"v 2026-11-20 03:00", "v 2026-11-21 03:00", "u 2026-11-22 03:00", "v 2026-11-23 03:00", "u 2026-11-24 03:00", "v 2026-11-25 03:00"},
			keep:    []string{"v 2026-11-21 03:00", "v 2026-11-23 03:00", "v 2026-11-25 03:00"},
			reasons: map[string]string{
				"v 2026-11-25 03:00": "newest verified",
				"v 2026-11-21 03:00": "one of the 3 newest verified",
			},
		},
		{
			name: "keep-min 0 means 1", loc: utc, now: "2026-11-27 12:00", policy: Policy{Days: 1},
			history: []string{"v 2026-11-20 03:00", "v 2026-11-21 03:00"},
			keep:    []string{"v 2026-11-21 03:00"},
		},
		{
			name: "equal times: the greater ID is the newer", loc: utc, now: "2026-11-27 12:00", policy: Policy{Days: 1},
			history: []string{"v 2026-11-20 03:00 b", "v 2026-11-20 03:00 a"},
			keep:    []string{"v 2026-11-20 03:00 b"},
		},
		{
			name: "the age boundary is exclusive", loc: utc, now: "2026-11-27 12:00", policy: Policy{Days: 2},
			history: []string{"v 2026-11-01 03:00", "u 2026-11-25 12:00:00", "u 2026-11-25 12:00:01"},
			keep:    []string{"v 2026-11-01 03:00", "u 2026-11-25 12:00:01"},
		},
		{
			name: "invalid days are clamped to one", loc: utc, now: "2026-11-27 12:00", policy: Policy{Days: -4},
			history: []string{"v 2026-11-01 03:00", "u 2026-11-26 13:00", "u 2026-11-26 11:00"},
			keep:    []string{"v 2026-11-01 03:00", "u 2026-11-26 13:00"},
			reasons: map[string]string{"u 2026-11-26 13:00": "younger than 1 day (unverified)"},
		},
		{
			name: "daily: newest of each day, gaps do not eat the budget", loc: utc, now: "2026-11-27 12:00",
			policy: Policy{Days: 1, KeepMin: 1, Daily: 3},
			history: []string{"v 2026-11-26 01:00", "v 2026-11-26 13:00", "u 2026-11-26 23:00", "v 2026-11-24 02:00", "v 2026-11-24 04:00",
				"v 2026-11-22 03:00", "v 2026-11-21 03:00", "u 2026-11-21 05:00"},
			keep: []string{"v 2026-11-26 13:00", "u 2026-11-26 23:00", "v 2026-11-24 04:00", "v 2026-11-22 03:00"},
			reasons: map[string]string{
				"v 2026-11-26 13:00": "younger than 1 day; newest verified; daily 2026-11-26",
				"v 2026-11-24 04:00": "daily 2026-11-24",
				"v 2026-11-22 03:00": "daily 2026-11-22",
			},
		},
		{
			name: "daily ignores a newer unverified backup of the day", loc: utc, now: "2026-11-27 12:00", policy: Policy{Days: 1, Daily: 2},
			history: []string{"v 2026-11-25 03:00", "u 2026-11-25 09:00", "v 2026-11-24 03:00", "u 2026-11-24 22:00"},
			keep:    []string{"v 2026-11-25 03:00", "v 2026-11-24 03:00"},
		},
		{
			name: "daily across a month and year boundary", loc: utc, now: "2027-01-01 12:00", policy: Policy{Days: 1, Daily: 3},
			history: []string{"v 2027-01-01 01:00", "v 2026-12-31 23:59", "v 2026-12-31 01:00", "v 2026-11-30 03:00", "v 2026-11-29 03:00"},
			keep:    []string{"v 2027-01-01 01:00", "v 2026-12-31 23:59", "v 2026-11-30 03:00"},
			reasons: map[string]string{"v 2026-11-30 03:00": "daily 2026-11-30", "v 2026-12-31 23:59": "younger than 1 day; daily 2026-12-31"},
		},
		{
			name: "weekly across ISO week 53", loc: utc, now: "2027-01-06 12:00", policy: Policy{Days: 1, Weekly: 3},
			history: []string{"v 2027-01-04 03:00", "v 2027-01-02 03:00", "v 2026-12-29 03:00", "v 2026-12-27 03:00", "v 2026-12-20 03:00", "v 2026-12-14 03:00"},
			keep:    []string{"v 2027-01-04 03:00", "v 2027-01-02 03:00", "v 2026-12-27 03:00"},
			reasons: map[string]string{
				"v 2027-01-04 03:00": "newest verified; weekly 2027-W01",
				"v 2027-01-02 03:00": "weekly 2026-W53",
				"v 2026-12-27 03:00": "weekly 2026-W52",
			},
		},
		{
			name: "monthly across a year boundary with gaps", loc: utc, now: "2027-02-10 12:00", policy: Policy{Days: 1, Monthly: 3},
			history: []string{"v 2027-02-01 03:00", "v 2027-01-31 03:00", "v 2027-01-15 03:00", "v 2026-11-30 03:00", "v 2026-11-02 03:00", "v 2026-08-01 03:00"},
			keep:    []string{"v 2027-02-01 03:00", "v 2027-01-31 03:00", "v 2026-11-30 03:00"},
			reasons: map[string]string{"v 2026-11-30 03:00": "monthly 2026-11"},
		},
		{
			name: "rules overlap and every reason is named", loc: utc, now: "2026-11-27 12:00",
			policy:  Policy{Days: 1, Daily: 2, Weekly: 2, Monthly: 2},
			history: []string{"v 2026-11-26 03:00", "v 2026-11-25 03:00", "v 2026-11-20 03:00", "v 2026-10-31 03:00", "v 2026-10-01 03:00"},
			keep:    []string{"v 2026-11-26 03:00", "v 2026-11-25 03:00", "v 2026-11-20 03:00", "v 2026-10-31 03:00"},
			reasons: map[string]string{
				"v 2026-11-26 03:00": "newest verified; daily 2026-11-26; weekly 2026-W48; monthly 2026-11",
				"v 2026-11-25 03:00": "daily 2026-11-25",
				"v 2026-11-20 03:00": "weekly 2026-W47",
				"v 2026-10-31 03:00": "monthly 2026-10",
				"v 2026-10-01 03:00": "older than 1 day",
			},
		},
		{
			name: "future backups are kept but take no keep-min slot", loc: utc, now: "2026-11-27 12:00", policy: Policy{Days: 1},
			history: []string{"v 2026-11-27 14:00", "v 2026-11-10 03:00", "v 2026-11-09 03:00"},
			keep:    []string{"v 2026-11-27 14:00", "v 2026-11-10 03:00"},
			reasons: map[string]string{"v 2026-11-27 14:00": "in the future (clock skew)", "v 2026-11-10 03:00": "newest verified"},
		},
		{
			name: "a verified backup only in the future is no anchor", loc: utc, now: "2026-11-27 12:00", policy: Policy{Days: 1},
			history: []string{"v 2026-11-28 03:00", "u 2026-11-01 03:00"},
			keep:    []string{"v 2026-11-28 03:00", "u 2026-11-01 03:00"},
			reasons: map[string]string{"u 2026-11-01 03:00": noAnchor},
		},
		{
			// 2026-10-25 03:00 CEST became 02:00 CET: 24h before noon on
			// the 25th is 13:00 on the 24th, not noon.
			name: "Berlin fall-back: the window is elapsed time", loc: ber, now: "2026-10-25 12:00", policy: Policy{Days: 1},
			history: []string{"v 2026-10-20 03:00", "u 2026-10-24 12:30", "u 2026-10-24 13:30"},
			keep:    []string{"v 2026-10-20 03:00", "u 2026-10-24 13:30"},
		},
		{
			name: "Berlin: days are Berlin days", loc: ber, now: "2026-10-27 12:00", policy: Policy{Days: 1, Daily: 2},
			history: []string{"v 2026-10-24 22:30Z", "v 2026-10-24 21:30Z", "v 2026-10-20 03:00Z"},
			keep:    []string{"v 2026-10-24 22:30Z", "v 2026-10-24 21:30Z"},
			reasons: map[string]string{"v 2026-10-24 22:30Z": "newest verified; daily 2026-10-25", "v 2026-10-24 21:30Z": "daily 2026-10-24"},
		},
		{
			name: "UTC: the same instants fall on one day", loc: utc, now: "2026-10-27 12:00", policy: Policy{Days: 1, Daily: 2},
			history: []string{"v 2026-10-24 22:30Z", "v 2026-10-24 21:30Z", "v 2026-10-20 03:00Z"},
			keep:    []string{"v 2026-10-24 22:30Z", "v 2026-10-20 03:00Z"},
			reasons: map[string]string{"v 2026-10-20 03:00Z": "daily 2026-10-20"},
		},
		{
			// 2026-03-29 has 23 hours in Berlin: 01:30 CET and 03:30 CEST
			// are one hour apart and one day.
			name: "Berlin spring-forward day is one day", loc: ber, now: "2026-03-31 12:00", policy: Policy{Days: 1, Daily: 2},
			history: []string{"v 2026-03-29 01:30", "v 2026-03-29 03:30", "v 2026-03-28 23:30"},
			keep:    []string{"v 2026-03-29 03:30", "v 2026-03-28 23:30"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := history(t, c.loc, c.history...)
			got := Plan(in, c.policy, at(t, c.loc, c.now))
			checkOrder(t, in, got)
			var kept []string
			for _, d := range got {
				if d.Keep {
					kept = append(kept, d.Backup.ID)
				}
				if want, ok := c.reasons[d.Backup.ID]; ok {
					if r := strings.Join(d.Reasons, "; "); r != want {
						t.Errorf("%s: reasons %q, want %q", d.Backup.ID, r, want)
					}
				}
			}
			slices.Sort(kept)
			want := slices.Sorted(slices.Values(c.keep))
			if !slices.Equal(kept, want) {
				t.Errorf("kept %q\nwant %q", kept, want)
			}
		})
	}
}

// checkOrder asserts one decision per backup, in the input order, each with
// a reason.
func checkOrder(t testing.TB, in []Backup, got []Decision) {
	t.Helper()
	if len(got) != len(in) {
		t.Fatalf("%d decisions for %d backups", len(got), len(in))
	}
	for i := range in {
		if got[i].Backup != in[i] {
			t.Fatalf("decision %d is for %+v, want %+v", i, got[i].Backup, in[i])
		}
		if len(got[i].Reasons) == 0 {
			t.Errorf("%s: no reason given", in[i].ID)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		p    Policy
		want string // "" = valid
	}{
		{Policy{Days: 3}, ""},
		{Policy{Days: 1, KeepMin: 2, Daily: 7, Weekly: 4, Monthly: 12}, ""},
		{Policy{}, "days must be at least 1"},
		{Policy{Days: 3, KeepMin: -1}, "keep-min must not be negative"},
		{Policy{Days: 3, Weekly: -2}, "weekly must not be negative"},
	}
	for _, c := range cases {
		err := c.p.Validate()
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", c.p, err, c.want)
		}
	}
}

// reference is the policy written out rule by rule, as slowly and plainly as
// possible, to check Plan against: for each backup, does any rule keep it?
func reference(bs []Backup, p Policy, now time.Time) map[string]bool {
	days := max(p.Days, 1)
	keepMin := max(p.KeepMin, 1)
	cutoff := now.Add(-time.Duration(days) * 24 * time.Hour)
	anchor := func(b Backup) bool { return b.Verified && !b.Time.After(now) }
	isNewer := func(a, b Backup) bool { return a.Time.After(b.Time) || a.Time.Equal(b.Time) && a.ID > b.ID }
	loc := now.Location()
	periods := []struct {
		n   int
		key func(time.Time) string
	}{
		{p.Daily, func(t time.Time) string { return t.In(loc).Format("2006-01-02") }},
		{p.Weekly, func(t time.Time) string { y, w := t.In(loc).ISOWeek(); return fmt.Sprintf("%04d-%02d", y, w) }},
		{p.Monthly, func(t time.Time) string { return t.In(loc).Format("2006-01") }},
	}
	anyAnchor := slices.ContainsFunc(bs, anchor)
	// Each backup's period keys, formatted once: the loops below are
	// quadratic and formatting inside them made fuzz minimisation crawl.
	keys := make([][]string, len(bs))
	for i, b := range bs {
		for _, per := range periods {
			keys[i] = append(keys[i], per.key(b.Time))
		}
	}
	kept := map[string]bool{}
	for i, b := range bs {
		keep := !anyAnchor || b.Time.After(cutoff)
		if anchor(b) {
			newerAnchors := 0
			for _, c := range bs {
				if anchor(c) && isNewer(c, b) {
					newerAnchors++
				}
			}
			keep = keep || newerAnchors < keepMin
			for pi, per := range periods {
				k := keys[i][pi]
				newestOfPeriod, later := true, map[string]bool{}
				for j, c := range bs {
					switch ck := keys[j][pi]; {
					case !anchor(c):
					case ck == k && isNewer(c, b):
						newestOfPeriod = false
					case ck > k:
						later[ck] = true
					}
				}
				keep = keep || newestOfPeriod && len(later) < per.n
			}
		}
		kept[b.ID] = keep
	}
	return kept
}

// zones for random histories: UTC, one with DST, a fixed odd offset, and one
// whose DST changed at midnight (Sao Paulo until 2019), so a day could start
// at 01:00 or see 23:00 twice.
func zones(t testing.TB) []*time.Location {
	out := []*time.Location{time.UTC, berlin(t), time.FixedZone("-0930", -(9*3600 + 1800))}
	if sp, err := time.LoadLocation("America/Sao_Paulo"); err == nil {
		out = append(out, sp)
	}
	return out
}

func randomHistory(rng *rand.Rand, now time.Time, days int) []Backup {
	n := rng.IntN(40)
	verified := []float64{0, 0.3, 0.9}[rng.IntN(3)]
	var out []Backup
	for i := range n {
		var ts time.Time
		switch r := rng.IntN(20); {
		case r == 0: // clock skew
			ts = now.Add(time.Duration(rng.Int64N(int64(48 * time.Hour))))
		case r == 1: // on the age boundary
			ts = now.Add(-time.Duration(days) * 24 * time.Hour)
		case r == 2 && i > 0: // same second as another backup
			ts = out[rng.IntN(i)].Time
		case r < 10: // the last few days, several a day
			ts = now.Add(-time.Duration(rng.Int64N(int64(10 * 24 * time.Hour))))
		default: // over a year or two
			ts = now.Add(-time.Duration(rng.Int64N(int64(800 * 24 * time.Hour))))
		}
		out = append(out, Backup{ID: fmt.Sprintf("b%02d", i), Time: ts.Truncate(time.Second), Verified: rng.Float64() < verified})
	}
	return out
}

func randomPolicy(rng *rand.Rand) Policy {
	count := func(hi int) int {
		if rng.IntN(3) == 0 {
			return 0
		}
		return rng.IntN(hi + 1)
	}
	return Policy{Days: rng.IntN(10) + 1, KeepMin: rng.IntN(6) - 1, Daily: count(10), Weekly: count(6), Monthly: count(14)}
}

func TestPlanProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261127, 42))
	locs := zones(t)
	base := time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2000 {
		loc := locs[rng.IntN(len(locs))]
		now := base.Add(time.Duration(rng.Int64N(int64(12 * 365 * 24 * time.Hour)))).In(loc)
		p := randomPolicy(rng)
		in := randomHistory(rng, now, p.Days)
		got := Plan(in, p, now)
		name := fmt.Sprintf("history %d (%s, now %s, %+v)", i, loc, now.Format(time.RFC3339), p)
		checkOrder(t, in, got)
		checkInvariants(t, name, in, p, now, got)
		want := reference(in, p, now)
		for _, d := range got {
			if d.Keep != want[d.Backup.ID] {
				t.Errorf("%s: %s at %s (verified %v): keep %v %q, reference says %v",
					name, d.Backup.ID, d.Backup.Time.In(loc), d.Backup.Verified, d.Keep, d.Reasons, want[d.Backup.ID])
			}
		}
		checkShuffled(t, name, rng, in, p, now, got)
		if t.Failed() {
			t.FailNow()
		}
	}
}

// checkInvariants asserts what must hold whatever the policy: (a) the newest
// verified backup is kept, (b) so is every backup younger than Days, and (c)
// nothing is deleted without a verified backup.
func checkInvariants(t testing.TB, name string, in []Backup, p Policy, now time.Time, got []Decision) {
	t.Helper()
	newest, anyVerified := -1, false
	for i, b := range in {
		if b.Verified {
			anyVerified = true
			// Of backups of the same second, the greater ID counts as newer.
			if newest < 0 || b.Time.After(in[newest].Time) || b.Time.Equal(in[newest].Time) && b.ID > in[newest].ID {
				newest = i
			}
		}
	}
	cutoff := now.Add(-time.Duration(max(p.Days, 1)) * 24 * time.Hour)
	for i, d := range got {
		switch {
		case d.Keep:
		case i == newest:
			t.Errorf("%s: (a) newest verified %s deleted: %q", name, d.Backup.ID, d.Reasons)
		case d.Backup.Time.After(cutoff):
			t.Errorf("%s: (b) %s younger than %d days deleted: %q", name, d.Backup.ID, p.Days, d.Reasons)
		case !anyVerified:
			t.Errorf("%s: (c) %s deleted with no verified backup: %q", name, d.Backup.ID, d.Reasons)
		}
	}
}

// checkShuffled asserts (e): the decision for each backup does not depend on
// the input order.
func checkShuffled(t testing.TB, name string, rng *rand.Rand, in []Backup, p Policy, now time.Time, want []Decision) {
	t.Helper()
	shuffled := slices.Clone(in)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	byID := map[string]Decision{}
	for _, d := range want {
		byID[d.Backup.ID] = d
	}
	for _, d := range Plan(shuffled, p, now) {
		w := byID[d.Backup.ID]
		if d.Keep != w.Keep || !slices.Equal(d.Reasons, w.Reasons) {
			t.Errorf("%s: %s shuffled: keep %v %q, in order: keep %v %q", name, d.Backup.ID, d.Keep, d.Reasons, w.Keep, w.Reasons)
		}
	}
}

// FuzzPlan feeds arbitrary histories and policies, including invalid ones,
// and checks the invariants and the reference. Every 4 bytes of data are one
// backup: a signed hour offset from now, minutes, and a verified bit.
func FuzzPlan(f *testing.F) {
	f.Add([]byte{0, 10, 0, 1, 0, 200, 30, 0, 1, 0, 0, 1}, int8(3), int8(1), int8(2), int8(1), int8(1), int64(1_800_000_000), uint8(0))
	f.Add([]byte{255, 250, 0, 1, 0, 1, 0, 0}, int8(0), int8(-1), int8(-3), int8(0), int8(12), int64(1_600_000_000), uint8(1))
	f.Add([]byte{}, int8(1), int8(1), int8(0), int8(0), int8(0), int64(0), uint8(2))
	locs := zones(f)
	f.Fuzz(func(t *testing.T, data []byte, days, keepMin, daily, weekly, monthly int8, nowSec int64, zone uint8) {
		// Keep now within four-digit years, as the reference's string keys
		// assume; Plan itself is exercised with any offsets from there.
		now := time.Unix(1_000_000_000+(nowSec%2_000_000_000+2_000_000_000)%2_000_000_000, 0).In(locs[int(zone)%len(locs)])
		// The reference is quadratic: a few hundred backups are plenty.
		data = data[:min(len(data), 4*300)]
		var in []Backup
		for i := 0; i+4 <= len(data); i += 4 {
			hours := int16(uint16(data[i])<<8 | uint16(data[i+1]))
			ts := now.Add(-time.Duration(hours)*time.Hour - time.Duration(data[i+2])*time.Minute)
			in = append(in, Backup{ID: fmt.Sprint(i / 4), Time: ts, Verified: data[i+3]&1 == 1})
		}
		p := Policy{Days: int(days), KeepMin: int(keepMin), Daily: int(daily), Weekly: int(weekly), Monthly: int(monthly)}
		got := Plan(in, p, now)
		checkOrder(t, in, got)
		checkInvariants(t, "fuzz", in, p, now, got)
		want := reference(in, p, now)
		for _, d := range got {
			if d.Keep != want[d.Backup.ID] {
				t.Errorf("%s at %s: keep %v %q, reference says %v", d.Backup.ID, d.Backup.Time, d.Keep, d.Reasons, want[d.Backup.ID])
			}
		}
	})
}
