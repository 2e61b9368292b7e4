package ship

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

// artifactSize is the size of the conformance artifact (~5 MB).
const artifactSize = 5 << 20

// target is a shipper under test plus the hooks the conformance suite needs
// to look at and break its storage.
type target struct {
	sh Shipper
	// readBack returns the bytes the target holds for the file named name
	// (a base name) of a's date, and whether it holds one.
	readBack func(t *testing.T, a Artifact, name string) ([]byte, bool)
	// list returns the names of every file the target holds for a's date.
	list func(t *testing.T, a Artifact) []string
	// fail makes the target fail (true) or work again (false).
	fail func(on bool)
	// hang makes the target hang (true) or work again (false); nil if the
	// target cannot be made to hang.
	hang func(on bool)
	// put plants data under name for a's date, to test that a wrong copy
	// is replaced; nil if the target cannot be written directly.
	put func(t *testing.T, a Artifact, name string, data []byte)
}

func TestConformance(t *testing.T) {
	t.Run("dir", func(t *testing.T) {
		t.Parallel()
		runConformance(t, newDirTarget)
	})
	t.Run("scp", func(t *testing.T) {
		t.Parallel()
		sshd := testenv.StartSSHD(t)
		runConformance(t, func(t *testing.T) target { return newSCPTarget(t, sshd) })
	})
	t.Run("netbackup", func(t *testing.T) {
		t.Parallel()
		runConformance(t, newNetBackupTarget)
	})
	t.Run("s3", func(t *testing.T) {
		t.Parallel()
		srv := testenv.StartS3(t)
		runConformance(t, func(t *testing.T) target { return newS3Target(t, srv) })
	})
}

// runConformance checks the Shipper contract against fresh targets made by
// newTarget, one per subtest.
func runConformance(t *testing.T, newTarget func(t *testing.T) target) {
	// What this kind of target can be made to do decides which cases apply;
	// a case that cannot apply is not registered rather than skipped.
	probe := newTarget(t)
	canPut, canHang := probe.put != nil, probe.hang != nil
	t.Run("ShipsByteIdenticalCopy", func(t *testing.T) {
		tg := newTarget(t)
		a := makeArtifact(t, "eu-west's")
		before := snapshot(t, a)
		began := time.Now()
		r, err := tg.sh.Ship(context.Background(), a)
		took := time.Since(began)
		if err != nil {
			t.Fatalf("Ship: %v", err)
		}
		t.Logf("%s: shipped %d bytes in %v (%s)", tg.sh.Name(), a.Bytes, took.Round(time.Millisecond), r.Location)
		if r.Target != tg.sh.Name() {
			t.Errorf("Receipt.Target = %q, want %q", r.Target, tg.sh.Name())
		}
		if !strings.Contains(r.Location, filepath.Base(a.Path)) {
			t.Errorf("Receipt.Location = %q, want it to name %s", r.Location, filepath.Base(a.Path))
		}
		if r.At.Before(began) || r.At.After(time.Now()) {
			t.Errorf("Receipt.At = %v, not within the call", r.At)
		}
		checkCopy(t, tg, a)
		before.check(t)
	})

	t.Run("Idempotent", func(t *testing.T) {
		tg := newTarget(t)
		a := makeArtifact(t, "idem")
		before := snapshot(t, a)
		for i := 0; i < 3; i++ {
			if _, err := tg.sh.Ship(context.Background(), a); err != nil {
				t.Fatalf("Ship #%d: %v", i+1, err)
			}
		}
		checkCopy(t, tg, a)
		wantOnly(t, tg, a, false)
		before.check(t)
	})

	if canPut {
		t.Run("ReplacesWrongCopy", func(t *testing.T) {
			tg := newTarget(t)
			a := makeArtifact(t, "wrong")
			before := snapshot(t, a)
			tg.put(t, a, filepath.Base(a.Path), []byte("truncated garbage"))
			tg.put(t, a, filepath.Base(a.ManifestPath), []byte("{}"))
			if _, err := tg.sh.Ship(context.Background(), a); err != nil {
				t.Fatalf("Ship over a wrong copy: %v", err)
			}
			checkCopy(t, tg, a)
			wantOnly(t, tg, a, false)
			before.check(t)
		})
	}

	t.Run("FailingTarget", func(t *testing.T) {
		tg := newTarget(t)
		a := makeArtifact(t, "fail")
		before := snapshot(t, a)
		tg.fail(true)
		_, err := tg.sh.Ship(context.Background(), a)
		if err == nil {
			t.Fatal("Ship to a failing target succeeded")
		}
		t.Logf("%s: failing target: %v", tg.sh.Name(), err)
		if _, ok := tg.readBack(t, a, filepath.Base(a.Path)); ok {
			t.Error("a failing target holds the artifact")
		}
		before.check(t)
		tg.fail(false)
		if _, err := tg.sh.Ship(context.Background(), a); err != nil {
			t.Fatalf("Ship after the target recovered: %v", err)
		}
		checkCopy(t, tg, a)
		before.check(t)
	})

	t.Run("WrongHashIsNotConfirmed", func(t *testing.T) {
		tg := newTarget(t)
		a := makeArtifact(t, "hash")
		before := snapshot(t, a)
		a.SHA256 = strings.Repeat("ab", 32)
		_, err := tg.sh.Ship(context.Background(), a)
		if !errors.Is(err, ErrHashMismatch) {
			t.Fatalf("Ship with a wrong SHA256: err = %v, want ErrHashMismatch", err)
		}
		if names := tg.list(t, a); len(names) != 0 {
			t.Errorf("the target holds %q although the hash did not match", names)
		}
		before.check(t)
	})

	t.Run("MissingLocalFile", func(t *testing.T) {
		tg := newTarget(t)
		a := makeArtifact(t, "missing")
		a.Path += ".gone"
		if _, err := tg.sh.Ship(context.Background(), a); err == nil {
			t.Fatal("Ship of a missing file succeeded")
		}
	})

	t.Run("CanceledBeforeStart", func(t *testing.T) {
		tg := newTarget(t)
		a := makeArtifact(t, "precancel")
		before := snapshot(t, a)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		began := time.Now()
		_, err := tg.sh.Ship(ctx, a)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Ship with a canceled ctx: err = %v, want context.Canceled", err)
		}
		if d := time.Since(began); d > 2*time.Second {
			t.Errorf("Ship with a canceled ctx took %v", d)
		}
		if _, ok := tg.readBack(t, a, filepath.Base(a.Path)); ok {
			t.Error("the target holds a copy after a canceled ship")
		}
		before.check(t)
	})

	if canHang {
		t.Run("CancelAbortsPromptly", func(t *testing.T) {
			tg := newTarget(t)
			a := makeArtifact(t, "cancel")
			before := snapshot(t, a)
			tg.hang(true)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := tg.sh.Ship(ctx, a)
				done <- err
			}()
			select {
			case err := <-done:
				t.Fatalf("Ship returned while the target hangs: %v", err)
			case <-time.After(500 * time.Millisecond):
			}
			canceled := time.Now()
			cancel()
			select {
			case err := <-done:
				took := time.Since(canceled)
				t.Logf("%s: returned %v after cancel: %v", tg.sh.Name(), took.Round(time.Millisecond), err)
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v, want context.Canceled", err)
				}
				if took > 3*time.Second {
					t.Errorf("Ship took %v to return after cancel", took)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Ship did not return within 10s of cancel")
			}
			if _, ok := tg.readBack(t, a, filepath.Base(a.Path)); ok {
				t.Error("the target holds a copy after a canceled ship")
			}
			before.check(t)
			tg.hang(false)
			if _, err := tg.sh.Ship(context.Background(), a); err != nil {
				t.Fatalf("Ship after the hang ended: %v", err)
			}
			checkCopy(t, tg, a)
			wantOnly(t, tg, a, true)
			before.check(t)
		})
	}

	runListFetch(t, newTarget, probe)
}

// shipped is an artifact a test shipped, with the bytes its local files
// held (the test may remove them, as retention prunes the spool).
type shipped struct {
	a                  Artifact
	r                  Receipt
	data, manifestData []byte
}

// shipFor ships a to tg and remembers what it sent.
func shipFor(t *testing.T, tg target, a Artifact) shipped {
	t.Helper()
	r, err := tg.sh.Ship(context.Background(), a)
	if err != nil {
		t.Fatalf("Ship %s: %v", filepath.Base(a.Path), err)
	}
	s := shipped{a: a, r: r}
	if s.data, err = os.ReadFile(a.Path); err != nil {
		t.Fatal(err)
	}
	if s.manifestData, err = os.ReadFile(a.ManifestPath); err != nil {
		t.Fatal(err)
	}
	return s
}

// pruneLocal removes the spool copy, so whatever comes back must come from
// the target.
func (s shipped) pruneLocal(t *testing.T) {
	t.Helper()
	for _, p := range []string{s.a.Path, s.a.ManifestPath} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
}

// checkRemote compares one listed copy with what was shipped.
func checkRemote(t *testing.T, name string, got Remote, want shipped) {
	t.Helper()
	base := filepath.Base(want.a.Path)
	if got.Target != name {
		t.Errorf("%s: Target = %q, want %q", base, got.Target, name)
	}
	if got.Location != want.r.Location {
		t.Errorf("%s: Location = %q, want Ship's %q", base, got.Location, want.r.Location)
	}
	if got.Region != want.a.Region {
		t.Errorf("%s: Region = %q, want %q", base, got.Region, want.a.Region)
	}
	if !got.Time.Equal(want.a.Time) {
		t.Errorf("%s: Time = %v, want %v", base, got.Time, want.a.Time)
	}
	if got.Bytes != want.a.Bytes {
		t.Errorf("%s: Bytes = %d, want %d", base, got.Bytes, want.a.Bytes)
	}
	switch m := got.Manifest; {
	case m == nil:
		t.Errorf("%s: Manifest = nil, want the shipped manifest", base)
	case m.SHA256 != want.a.SHA256 || m.File != base || m.Region != want.a.Region || m.Bytes != want.a.Bytes:
		t.Errorf("%s: Manifest = {sha256 %s file %s region %s bytes %d}, want {%s %s %s %d}",
			base, m.SHA256, m.File, m.Region, m.Bytes, want.a.SHA256, base, want.a.Region, want.a.Bytes)
	}
}

// checkFetched requires Fetch's two files to be byte-identical to what was
// shipped, under the original base names, and to be all dir holds.
func checkFetched(t *testing.T, dir, art, man string, want shipped) {
	t.Helper()
	for _, f := range []struct {
		got, wantName string
		want          []byte
	}{
		{art, filepath.Base(want.a.Path), want.data},
		{man, filepath.Base(want.a.ManifestPath), want.manifestData},
	} {
		if f.got != filepath.Join(dir, f.wantName) {
			t.Errorf("Fetch returned %q, want %q", f.got, filepath.Join(dir, f.wantName))
			continue
		}
		b, err := os.ReadFile(f.got)
		if err != nil {
			t.Errorf("fetched file: %v", err)
			continue
		}
		if !bytes.Equal(b, f.want) {
			t.Errorf("fetched %s differs from the shipped file (%d bytes, want %d)", f.wantName, len(b), len(f.want))
		}
	}
	wantDir(t, dir, filepath.Base(want.a.Path), filepath.Base(want.a.ManifestPath))
}

// wantDir requires dir to hold exactly names (none: empty). Fetch leaves
// no scratch directory behind when it returns, whatever the outcome.
func wantDir(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	sort.Strings(got)
	sort.Strings(names)
	if strings.Join(got, "\n") != strings.Join(names, "\n") {
		t.Errorf("local dir holds %q, want %q", got, names)
	}
}

// runListFetch checks the Lister and Fetcher contracts of the targets that
// implement them: what Ship put there is listed and comes back intact. The
// cases after the first share one target holding two shipped copies (each
// restores any switch it flips), since shipping over ssh costs seconds.
func runListFetch(t *testing.T, newTarget func(t *testing.T) target, probe target) {
	_, canList := probe.sh.(Lister)
	_, canFetch := probe.sh.(Fetcher)
	if !canList && !canFetch {
		return
	}
	canPut, canHang := probe.put != nil, probe.hang != nil
	newer := time.Date(2024, 3, 15, 2, 0, 7, 0, time.Local)
	older := time.Date(2024, 3, 14, 23, 30, 0, 0, time.Local) // the day before: another dated directory

	if canList {
		t.Run("ListEmptyTarget", func(t *testing.T) {
			tg := newTarget(t)
			for _, region := range []string{"", "eu-west's"} {
				got, err := tg.sh.(Lister).List(context.Background(), region)
				if err != nil || len(got) != 0 {
					t.Errorf("List(%q) on an empty target = %v, %v; want empty, nil", region, got, err)
				}
			}
		})
	}

	t.Run("ListFetch", func(t *testing.T) {
		tg := newTarget(t)
		ships := []shipped{
			shipFor(t, tg, makeArtifactAt(t, "eu-west's", newer)),
			shipFor(t, tg, makeArtifactAt(t, "us-east", older)),
		}
		for _, s := range ships {
			s.pruneLocal(t)
		}
		fetcher, _ := tg.sh.(Fetcher)

		if l, ok := tg.sh.(Lister); ok {
			t.Run("List", func(t *testing.T) {
				cases := []struct {
					name, region string
					want         []int // indexes into ships, oldest first
				}{
					{"every region", "", []int{1, 0}},
					{"one region", "eu-west's", []int{0}},
					{"a region's prefix is not that region", "eu", nil},
					{"no such region", "nowhere", nil},
				}
				for _, tc := range cases {
					began := time.Now()
					got, err := l.List(context.Background(), tc.region)
					if err != nil {
						t.Fatalf("%s: List(%q): %v", tc.name, tc.region, err)
					}
					t.Logf("%s: List(%q): %d copies in %v", tg.sh.Name(), tc.region, len(got), time.Since(began).Round(time.Millisecond))
					if len(got) != len(tc.want) {
						t.Errorf("%s: List(%q) returned %d copies, want %d: %+v", tc.name, tc.region, len(got), len(tc.want), got)
						continue
					}
					for i, w := range tc.want {
						checkRemote(t, tg.sh.Name(), got[i], ships[w])
					}
				}
			})
		}

		if fetcher == nil {
			return
		}

		t.Run("Fetch", func(t *testing.T) {
			for _, s := range ships {
				dir := t.TempDir()
				began := time.Now()
				art, man, err := fetcher.Fetch(context.Background(), s.r.Location, dir)
				if err != nil {
					t.Fatalf("Fetch(%q): %v", s.r.Location, err)
				}
				t.Logf("%s: fetched %d bytes in %v", tg.sh.Name(), s.a.Bytes, time.Since(began).Round(time.Millisecond))
				checkFetched(t, dir, art, man, s)
			}
		})

		t.Run("FetchUnknownLocation", func(t *testing.T) {
			s := ships[0]
			base := filepath.Base(s.a.Path)
			sp := &store.Spool{Dir: t.TempDir()}
			replace := func(name string) string { return strings.Replace(s.r.Location, base, name, 1) }
			cases := []struct{ name, location string }{
				{"never shipped", replace(filepath.Base(sp.ArtifactPath(s.a.Region, newer.Add(time.Hour), "gzip")))},
				{"another compression", replace(strings.TrimSuffix(base, ".sql.gz") + ".sql.zst")},
				{"a manifest, not an artifact", replace(filepath.Base(s.a.ManifestPath))},
				{"not an artifact name", replace("notes.txt")},
				{"empty", ""},
			}
			if canPut {
				// An artifact whose manifest never arrived is an interrupted
				// ship, not a copy the target holds. It goes to a day of its
				// own, away from the shipped copies.
				when := newer.Add(48 * time.Hour)
				orphan := filepath.Base(sp.ArtifactPath(s.a.Region, when, "gzip"))
				tg.put(t, Artifact{Time: when}, orphan, []byte("half a ship"))
				cases = append(cases, struct{ name, location string }{"artifact without its manifest", replace(orphan)})
				if l, ok := tg.sh.(Lister); ok {
					got, err := l.List(context.Background(), s.a.Region)
					if err != nil || len(got) != 1 || got[0].Location != s.r.Location {
						t.Errorf("List beside an orphan artifact = %+v, %v; want only %s", got, err, s.r.Location)
					}
				}
			}
			for _, tc := range cases {
				dir := t.TempDir()
				_, _, err := fetcher.Fetch(context.Background(), tc.location, dir)
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("%s: Fetch(%q): err = %v, want ErrNotFound", tc.name, tc.location, err)
				} else if !strings.Contains(err.Error(), tg.sh.Name()) {
					t.Errorf("%s: error %q does not name the target %s", tc.name, err, tg.sh.Name())
				}
				wantDir(t, dir)
			}
		})

		t.Run("FetchCanceledBeforeStart", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			dir := t.TempDir()
			began := time.Now()
			_, _, err := fetcher.Fetch(ctx, ships[0].r.Location, dir)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Fetch with a canceled ctx: err = %v, want context.Canceled", err)
			}
			if d := time.Since(began); d > 2*time.Second {
				t.Errorf("Fetch with a canceled ctx took %v", d)
			}
			wantDir(t, dir)
		})

		t.Run("FetchFailingTarget", func(t *testing.T) {
			s := ships[0]
			tg.fail(true)
			t.Cleanup(func() { tg.fail(false) })
			dir := t.TempDir()
			_, _, err := fetcher.Fetch(context.Background(), s.r.Location, dir)
			if err == nil {
				t.Fatal("Fetch from a failing target succeeded")
			}
			t.Logf("%s: failing target: %v", tg.sh.Name(), err)
			if errors.Is(err, ErrNotFound) {
				t.Errorf("a failing target reported the copy as not found: %v", err)
			}
			for _, want := range []string{tg.sh.Name(), filepath.Base(s.a.Path)} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %s", err, want)
				}
			}
			wantDir(t, dir)
			tg.fail(false)
			dir = t.TempDir()
			art, man, err := fetcher.Fetch(context.Background(), s.r.Location, dir)
			if err != nil {
				t.Fatalf("Fetch after the target recovered: %v", err)
			}
			checkFetched(t, dir, art, man, s)
		})

		if canHang {
			t.Run("FetchCancelAbortsPromptly", func(t *testing.T) {
				s := ships[1]
				tg.hang(true)
				t.Cleanup(func() { tg.hang(false) })
				const deadline = 500 * time.Millisecond
				ctx, cancel := context.WithTimeout(context.Background(), deadline)
				defer cancel()
				dir := t.TempDir()
				began := time.Now()
				_, _, err := fetcher.Fetch(ctx, s.r.Location, dir)
				took := time.Since(began)
				t.Logf("%s: returned %v after its %v deadline: %v", tg.sh.Name(), (took - deadline).Round(time.Millisecond), deadline, err)
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("err = %v, want context.DeadlineExceeded", err)
				}
				if took > deadline+3*time.Second {
					t.Errorf("Fetch took %v to return after its deadline", took-deadline)
				}
				// An abandoned copy may still hold its scratch directory (a
				// stuck file system releases it later), never a final name.
				ents, err := os.ReadDir(dir)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range ents {
					if !store.IsTemp(e.Name()) {
						t.Errorf("a canceled Fetch left %s", e.Name())
					}
				}
				tg.hang(false)
				dir = t.TempDir()
				art, man, err := fetcher.Fetch(context.Background(), s.r.Location, dir)
				if err != nil {
					t.Fatalf("Fetch after the hang ended: %v", err)
				}
				checkFetched(t, dir, art, man, s)
			})
		}

		t.Run("TargetUntouched", func(t *testing.T) {
			// Listing and fetching wrote nothing where the copies live.
			for _, s := range ships {
				wantOnly(t, tg, s.a, false)
			}
		})
	})
}

// makeArtifact writes a spool artifact of artifactSize random bytes and its
// manifest, as the dump stage leaves them.
func makeArtifact(t *testing.T, region string) Artifact {
	t.Helper()
	return makeArtifactAt(t, region, time.Date(2024, 3, 15, 2, 0, 7, 0, time.Local))
}

// makeArtifactAt is makeArtifact for a dump taken at when.
func makeArtifactAt(t *testing.T, region string, when time.Time) Artifact {
	t.Helper()
	sp := &store.Spool{Dir: filepath.Join(t.TempDir(), "spool")}
	p := sp.ArtifactPath(region, when, "gzip")
	data := make([]byte, artifactSize)
	_, _ = rand.Read(data)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o640); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	mp := store.ManifestPath(p)
	manifest := fmt.Sprintf(`{"v":1,"region":%q,"file":%q,"bytes":%d,"sha256":%q}`+"\n",
		region, filepath.Base(p), len(data), hex.EncodeToString(sum[:]))
	if err := os.WriteFile(mp, []byte(manifest), 0o640); err != nil {
		t.Fatal(err)
	}
	return Artifact{Path: p, ManifestPath: mp, SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(data)), Region: region, Time: when}
}

// localState is the local files' content hash, mode and mtime.
type localState struct {
	a     Artifact
	files map[string]string
}

func snapshot(t *testing.T, a Artifact) localState {
	t.Helper()
	s := localState{a: a, files: map[string]string{}}
	for _, p := range []string{a.Path, a.ManifestPath} {
		s.files[p] = describe(t, p)
	}
	return s
}

func (s localState) check(t *testing.T) {
	t.Helper()
	for p, want := range s.files {
		if got := describe(t, p); got != want {
			t.Errorf("local file %s changed: %s, was %s", p, got, want)
		}
	}
	ents, err := os.ReadDir(filepath.Dir(s.a.Path))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 2 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("local spool dir holds %v, want only the artifact and its manifest", names)
	}
}

func describe(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("local file: %v", err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return fmt.Sprintf("sha256=%x mode=%v mtime=%v", sum, fi.Mode(), fi.ModTime().UnixNano())
}

// checkCopy requires the target's copies of the artifact and manifest to be
// byte-identical to the local files.
func checkCopy(t *testing.T, tg target, a Artifact) {
	t.Helper()
	for _, p := range []string{a.Path, a.ManifestPath} {
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := tg.readBack(t, a, filepath.Base(p))
		if !ok {
			t.Errorf("%s holds no %s", tg.sh.Name(), filepath.Base(p))
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s's copy of %s differs (%d bytes, want %d)", tg.sh.Name(), filepath.Base(p), len(got), len(want))
		}
	}
}

// wantOnly requires the target to hold exactly the artifact and manifest for
// a's date (with allowTemps, leftover ".tmp-" files are tolerated once they
// stop changing: an aborted copy may leave one).
func wantOnly(t *testing.T, tg target, a Artifact, allowTemps bool) {
	t.Helper()
	want := []string{filepath.Base(a.Path), filepath.Base(a.ManifestPath)}
	sort.Strings(want)
	var got []string
	deadline := time.Now().Add(3 * time.Second)
	for {
		got = got[:0]
		for _, n := range tg.list(t, a) {
			if allowTemps && store.IsTemp(n) {
				continue
			}
			got = append(got, n)
		}
		sort.Strings(got)
		if strings.Join(got, "\n") == strings.Join(want, "\n") || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s holds %q, want exactly %q", tg.sh.Name(), got, want)
	}
}

// --- dir ---

func newDirTarget(t *testing.T) target {
	root := filepath.Join(t.TempDir(), "ship root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	d := &Dir{Root: root}
	release := make(chan struct{})
	var once sync.Once
	dayDir := func(a Artifact) string { return filepath.Join(root, a.day()) }
	return target{
		sh:       d,
		readBack: readLocal(dayDir),
		list:     listLocal(dayDir),
		fail: func(on bool) {
			if on {
				d.Root = root + " (unmounted)"
			} else {
				d.Root = root
			}
		},
		hang: func(on bool) {
			if on {
				d.stall = func() { <-release }
			} else {
				once.Do(func() { close(release) })
			}
		},
		put: putLocal(dayDir),
	}
}

func readLocal(dayDir func(Artifact) string) func(*testing.T, Artifact, string) ([]byte, bool) {
	return func(t *testing.T, a Artifact, name string) ([]byte, bool) {
		b, err := os.ReadFile(filepath.Join(dayDir(a), name))
		if errors.Is(err, os.ErrNotExist) {
			return nil, false
		}
		if err != nil {
			t.Fatal(err)
		}
		return b, true
	}
}

func listLocal(dayDir func(Artifact) string) func(*testing.T, Artifact) []string {
	return func(t *testing.T, a Artifact) []string {
		ents, err := os.ReadDir(dayDir(a))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		return names
	}
}

func putLocal(dayDir func(Artifact) string) func(*testing.T, Artifact, string, []byte) {
	return func(t *testing.T, a Artifact, name string, data []byte) {
		if err := os.MkdirAll(dayDir(a), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dayDir(a), name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// --- scp ---

// newSCPTarget ships into a fresh directory of sshd whose path holds spaces,
// a quote, shell syntax and glob characters (scp globs remote sources),
// below a level that does not exist yet.
func newSCPTarget(t *testing.T, sshd *testenv.SSHD) target {
	base := sshd.MkdirTemp(t, "it's a $(dir) ")
	dir := filepath.Join(base, "ship `dir` [1]*?")
	s := &SCP{Host: sshd.Host, Port: sshd.Port, User: sshd.User, Dir: dir, KeyFile: sshd.KeyFile, KnownHosts: sshd.KnownHosts, Timeout: time.Minute}
	notDir := filepath.Join(base, "a file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	blackHole := blackHolePort(t)
	dayDir := func(a Artifact) string { return filepath.Join(dir, a.day()) }
	return target{
		sh:       s,
		readBack: readLocal(dayDir),
		list:     listLocal(dayDir),
		fail: func(on bool) {
			if on {
				s.Dir = filepath.Join(notDir, "sub") // mkdir -p fails: Not a directory
			} else {
				s.Dir = dir
			}
		},
		hang: func(on bool) {
			if on {
				s.Port = blackHole // accepts, never says a word
			} else {
				s.Port = sshd.Port
			}
		},
		put: putLocal(dayDir),
	}
}

// blackHolePort listens on 127.0.0.1 and accepts connections without ever
// answering, like a wedged server.
func blackHolePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

// --- netbackup ---

// fakeNB is a fake bpbackup and bprestore set up for one test.
type fakeNB struct {
	bin     string // wrapper script to use as NetBackup.Bin
	restore string // bprestore wrapper beside bin, found by default
	vault   string
	log     string
	record  string // bpbackup's argument lines, tab-separated
	// restoreRecord holds bprestore's argument lines, each followed by the
	// lines of its rename file.
	restoreRecord string
	ctl           string // "fail", "fail-manifest" and "hang" files switch behaviour
	hangPID       string
}

func newFakeNB(t *testing.T) *fakeNB {
	t.Helper()
	dir := t.TempDir()
	f := &fakeNB{
		bin:           filepath.Join(dir, "bpbackup"),
		restore:       filepath.Join(dir, "bprestore"),
		vault:         filepath.Join(dir, "vault"),
		log:           filepath.Join(dir, "logs", "bpbackup.log"),
		record:        filepath.Join(dir, "args"),
		restoreRecord: filepath.Join(dir, "restore-args"),
		ctl:           filepath.Join(dir, "ctl"),
		hangPID:       filepath.Join(dir, "ctl", "hang.pid"),
	}
	for _, d := range []string{f.vault, f.ctl, filepath.Dir(f.log)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	q := shellQuote
	// Both fakes obey the same switches, so "fail" and "hang" break the
	// whole NetBackup client as a dead master server would.
	wrapper := func(script, record, extra string) []byte {
		fake, err := filepath.Abs(filepath.Join("testdata", script))
		if err != nil {
			t.Fatal(err)
		}
		return []byte("#!/bin/sh\n" +
			"export BPFAKE_VAULT=" + q(f.vault) + " BPFAKE_RECORD=" + q(record) + "\n" +
			"export BPFAKE_EXPECT_POLICY=MariaDB BPFAKE_EXPECT_SCHEDULE=User BPFAKE_EXPECT_SERVER=nbu-master\n" +
			"[ -e " + q(filepath.Join(f.ctl, "fail")) + " ] && export BPFAKE_FAIL=1\n" +
			"[ -e " + q(filepath.Join(f.ctl, "hang")) + " ] && export BPFAKE_HANG=" + q(f.hangPID) + "\n" +
			extra +
			"exec bash " + q(fake) + ` "$@"` + "\n")
	}
	failManifest := "if [ -e " + q(filepath.Join(f.ctl, "fail-manifest")) + " ]; then\n" +
		"  case \"${11}\" in *.manifest.json) export BPFAKE_FAIL=1 ;; esac\n" +
		"fi\n"
	if err := os.WriteFile(f.bin, wrapper("fake-bpbackup.sh", f.record, failManifest), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.restore, wrapper("fake-bprestore.sh", f.restoreRecord, ""), 0o755); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeNB) set(t *testing.T, what string, on bool) {
	p := filepath.Join(f.ctl, what)
	if on {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	} else if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
}

func (f *fakeNB) shipper() *NetBackup {
	return &NetBackup{Bin: f.bin, Server: "nbu-master", LogFile: f.log, Timeout: time.Minute}
}

func newNetBackupTarget(t *testing.T) target {
	f := newFakeNB(t)
	dayDir := func(a Artifact) string { return f.vault + filepath.Dir(a.Path) }
	return target{
		sh:       f.shipper(),
		readBack: readLocal(dayDir),
		list:     listLocal(dayDir),
		fail:     func(on bool) { f.set(t, "fail", on) },
		hang:     func(on bool) { f.set(t, "hang", on) },
	}
}

// processGone reports whether pid has exited (a zombie counts as gone: in a
// container nothing may reap it).
func processGone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z'
	}
	return false
}
