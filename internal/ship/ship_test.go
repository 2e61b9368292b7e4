package ship

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

// --- New ---

func TestNew(t *testing.T) {
	full := Config{
		Dir:       "/srv/backup",
		NetBackup: NetBackup{Server: "nbu"},
		SCP:       SCP{Host: "vault.example", Dir: "/b", KeyFile: "/k", KnownHosts: "/kh"},
	}
	got, err := New([]string{"netbackup", "scp", "dir"}, full)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Name())
	}
	if strings.Join(names, ",") != "netbackup,scp,dir" {
		t.Errorf("names = %v", names)
	}
	nb := got[0].(*NetBackup)
	if nb.Bin != DefaultBPBackup || nb.RestoreBin != DefaultBPRestore || nb.Policy != "MariaDB" || nb.Schedule != "User" ||
		nb.Timeout != 6*time.Hour || nb.LogFile != filepath.Join(os.TempDir(), DefaultNetBackupLogName) {
		t.Errorf("netbackup defaults: %+v", nb)
	}
	for bin, want := range map[string]string{"bpbackup": "bprestore", "/opt/nbu/bin/bpbackup": "/opt/nbu/bin/bprestore"} {
		if got := (NetBackup{Bin: bin}).withDefaults().RestoreBin; got != want {
			t.Errorf("RestoreBin beside Bin %q = %q, want %q", bin, got, want)
		}
	}
	sc := got[1].(*SCP)
	if sc.Port != 22 || sc.User == "" || sc.Timeout != 6*time.Hour {
		t.Errorf("scp defaults: %+v", sc)
	}
	if d := got[2].(*Dir); d.Root != "/srv/backup" {
		t.Errorf("dir root = %q", d.Root)
	}
	for _, none := range [][]string{{"none"}, nil, {}} {
		got, err := New(none, Config{})
		if err != nil || len(got) != 0 {
			t.Errorf("New(%q) = %v, %v; want no shippers", none, got, err)
		}
	}

	bad := []struct {
		name    string
		targets []string
		mod     func(c *Config)
		want    string
	}{
		{"dir without root", []string{"dir"}, func(c *Config) { c.Dir = "" }, "dir: directory is not set (GD_SHIP_DIR)"},
		{"netbackup without server", []string{"netbackup"}, func(c *Config) { c.NetBackup.Server = "" }, "netbackup: server is not set (GD_NETBACKUP_SERVER)"},
		{"netbackup relative log", []string{"netbackup"}, func(c *Config) { c.NetBackup.LogFile = "nb.log" }, "(GD_NETBACKUP_LOG)"},
		{"netbackup option as policy", []string{"netbackup"}, func(c *Config) { c.NetBackup.Policy = "-x" }, "(GD_NETBACKUP_POLICY)"},
		{"scp without host", []string{"scp"}, func(c *Config) { c.SCP.Host = "" }, "scp: host is not set (GD_SCP_HOST)"},
		{"scp option as host", []string{"scp"}, func(c *Config) { c.SCP.Host = "-oProxyCommand=x" }, "(GD_SCP_HOST)"},
		{"scp without dir", []string{"scp"}, func(c *Config) { c.SCP.Dir = "" }, "scp: dir is not set (GD_SCP_DIR)"},
		{"scp ~user dir", []string{"scp"}, func(c *Config) { c.SCP.Dir = "~bob/x" }, "(GD_SCP_DIR)"},
		{"scp without key", []string{"scp"}, func(c *Config) { c.SCP.KeyFile = "" }, "scp: key file is not set (GD_SCP_KEY)"},
		{"scp without known hosts", []string{"scp"}, func(c *Config) { c.SCP.KnownHosts = "" }, "scp: known hosts file is not set (GD_SCP_KNOWN_HOSTS)"},
		{"scp bad port", []string{"scp"}, func(c *Config) { c.SCP.Port = 70000 }, "scp: port 70000 is not 1-65535 (GD_SCP_PORT)"},
		{"scp bad user", []string{"scp"}, func(c *Config) { c.SCP.User = "-l" }, "(GD_SCP_USER)"},
		{"unknown", []string{"tape"}, nil, `unknown ship target "tape"`},
		{"twice", []string{"dir", "dir"}, nil, "listed twice"},
		{"none with others", []string{"none", "dir"}, nil, "none cannot be combined"},
	}
	for _, tc := range bad {
		c := full
		if tc.mod != nil {
			tc.mod(&c)
		}
		_, err := New(tc.targets, c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestArtifactCheck(t *testing.T) {
	good := Artifact{Path: "/a", ManifestPath: "/m", SHA256: strings.Repeat("AB", 32), Time: time.Now()}
	if err := good.check(); err != nil || good.SHA256 != strings.Repeat("ab", 32) {
		t.Fatalf("check = %v, SHA256 = %s", err, good.SHA256)
	}
	for name, mod := range map[string]func(*Artifact){
		"no path":     func(a *Artifact) { a.Path = "" },
		"no manifest": func(a *Artifact) { a.ManifestPath = "" },
		"no time":     func(a *Artifact) { a.Time = time.Time{} },
		"short hash":  func(a *Artifact) { a.SHA256 = "abc" },
		"not hex":     func(a *Artifact) { a.SHA256 = strings.Repeat("zz", 32) },
	} {
		a := good
		mod(&a)
		if err := a.check(); err == nil {
			t.Errorf("%s: no error", name)
		}
		for _, sh := range []Shipper{&Dir{Root: t.TempDir()}, &NetBackup{Server: "x"}, &SCP{Host: "h", Dir: "d", KeyFile: "k", KnownHosts: "kh"}} {
			if _, err := sh.Ship(context.Background(), a); err == nil {
				t.Errorf("%s: %s shipped a bad artifact", name, sh.Name())
			}
		}
	}
}

// --- dir ---

func TestDirRootMissing(t *testing.T) {
	a := makeArtifact(t, "r1")
	root := filepath.Join(t.TempDir(), "not mounted")
	_, err := (&Dir{Root: root}).Ship(context.Background(), a)
	if err == nil || !strings.Contains(err.Error(), root) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("err = %v, want it to say %s does not exist", err, root)
	}
	if _, err := os.Stat(root); !errors.Is(err, os.ErrNotExist) {
		t.Error("Ship created the missing root")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (&Dir{Root: file}).Ship(context.Background(), a); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("root is a file: err = %v", err)
	}
}

func TestDirLayoutAndIntactCopyKept(t *testing.T) {
	a := makeArtifact(t, "r2")
	root := t.TempDir()
	d := &Dir{Root: root}
	r, err := d.Ship(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(root, "2024-03-15", filepath.Base(a.Path))
	if r.Location != want {
		t.Errorf("Location = %q, want %q", r.Location, want)
	}
	if _, err := os.Stat(filepath.Join(root, "2024-03-15", filepath.Base(a.ManifestPath))); err != nil {
		t.Error(err)
	}
	before, err := os.Stat(want)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Ship(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(want)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("an intact copy was replaced instead of kept")
	}
}

func TestDirRefusesTheSpoolItself(t *testing.T) {
	a := makeArtifact(t, "r3")
	spool := filepath.Dir(filepath.Dir(a.Path))
	before := snapshot(t, a)
	a.SHA256 = strings.Repeat("0", 64) // would make a naive shipper "replace" the local file
	_, err := (&Dir{Root: spool}).Ship(context.Background(), a)
	if err == nil || !strings.Contains(err.Error(), "is the local file itself") {
		t.Fatalf("err = %v", err)
	}
	before.check(t)
}

func TestDirDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Require(t, "needs root to mount a small tmpfs")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt).CombinedOutput(); err != nil {
		testenv.Require(t, "cannot mount a tmpfs here: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
		}
	})
	a := makeArtifact(t, "full")
	before := snapshot(t, a)
	_, err := (&Dir{Root: mnt}).Ship(context.Background(), a)
	want := "disk full writing " + filepath.Join(mnt, "2024-03-15", filepath.Base(a.Path))
	if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err = %v, want %q wrapping ENOSPC", err, want)
	}
	t.Logf("error: %v", err)
	ents, _ := os.ReadDir(filepath.Join(mnt, "2024-03-15"))
	for _, e := range ents {
		t.Errorf("left behind on the full target: %s", e.Name())
	}
	before.check(t)
}

// plantListJunk adds to a target's root what List must pass over: a
// directory that is not a date, a file where a day directory would be, a
// temp file, an artifact whose manifest never arrived. It also adds an
// artifact whose manifest holds NUL bytes and is not JSON: List reports it
// with Manifest nil (and, over ssh, the NULs must not break the framing of
// the listing). It returns that artifact's base name and size.
func plantListJunk(t *testing.T, root string) (string, int64) {
	t.Helper()
	day := filepath.Join(root, "2024-03-15")
	bad := "mdb_bkp_bad-20240315_040000.sql.zst"
	for p, data := range map[string]string{
		filepath.Join(root, "not-a-day", "mdb_bkp_r-20240315_050000.sql.gz"):        "x",
		filepath.Join(root, "not-a-day", "mdb_bkp_r-20240315_050000.manifest.json"): "{}",
		filepath.Join(root, "2024-03-16"):                                           "a file, not a day",
		filepath.Join(day, ".tmp-mdb_bkp_r-20240315_060000.sql.gz.abc123"):          "partial",
		filepath.Join(day, "mdb_bkp_orphan-20240315_070000.sql.gz"):                 "no manifest",
		filepath.Join(day, bad):                     "0123456789",
		filepath.Join(day, store.ManifestPath(bad)): "{\x00\"v\":1\x00 garbage",
		filepath.Join(day, "mdb_bkp_bad-20240315_040000.manifest.json.tmp-not-matched"): "",
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return bad, 10
}

// checkJunkListing requires got to be a's copy then the undecodable one.
func checkJunkListing(t *testing.T, got []Remote, a Artifact, bad string, badSize int64) {
	t.Helper()
	if len(got) != 2 {
		t.Fatalf("List = %+v, want the shipped copy and %s", got, bad)
	}
	if filepath.Base(got[0].Location) != filepath.Base(a.Path) || got[0].Manifest == nil || got[0].Manifest.SHA256 != a.SHA256 || got[0].Bytes != a.Bytes {
		t.Errorf("List[0] = %+v, want %s with its manifest", got[0], filepath.Base(a.Path))
	}
	if filepath.Base(got[1].Location) != bad || got[1].Manifest != nil || got[1].Bytes != badSize || got[1].Region != "bad" {
		t.Errorf("List[1] = %+v, want %s of %d bytes with Manifest nil", got[1], bad, badSize)
	}
}

func TestDirList(t *testing.T) {
	root := t.TempDir()
	a := makeArtifact(t, "r1")
	if _, err := (&Dir{Root: root}).Ship(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	bad, size := plantListJunk(t, root)
	got, err := (&Dir{Root: root}).List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	checkJunkListing(t, got, a, bad, size)

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, root string
		wantErr    string // "" = empty listing, no error
	}{
		{"root missing", filepath.Join(t.TempDir(), "not yet"), ""},
		{"root is a file", file, "dir list " + file},
		{"root below a file", filepath.Join(file, "sub"), "not a directory"},
	} {
		got, err := (&Dir{Root: tc.root}).List(context.Background(), "")
		switch {
		case tc.wantErr == "" && (err != nil || len(got) != 0):
			t.Errorf("%s: List = %v, %v; want empty, nil", tc.name, got, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: List = %v, %v; want an error with %q", tc.name, got, err, tc.wantErr)
		}
	}
}

// --- netbackup ---

func TestFakeBPBackupIsStrict(t *testing.T) {
	f := newFakeNB(t)
	file := filepath.Join(t.TempDir(), "x.sql.gz")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := []string{"-p", "MariaDB", "-s", "User", "-S", "nbu-master", "-L", f.log, "-w", "0", file}
	if out, err := exec.Command(f.bin, good...).CombinedOutput(); err != nil {
		t.Fatalf("good arguments rejected: %v: %s", err, out)
	}
	if b, err := os.ReadFile(f.vault + file); err != nil || string(b) != "x" {
		t.Fatalf("vault copy = %q, %v", b, err)
	}
	swap := func(i, j int) []string {
		s := append([]string(nil), good...)
		s[i], s[j] = s[j], s[i]
		s[i+1], s[j+1] = s[j+1], s[i+1]
		return s
	}
	bad := map[string][]string{
		"-s before -p":       swap(0, 2),
		"-L before -S":       swap(4, 6),
		"file before -w 0":   append(append(append([]string(nil), good[:8]...), file), "-w", "0"),
		"no -w 0":            append(append([]string(nil), good[:8]...), file),
		"-w 1":               append(append(append([]string(nil), good[:9]...), "1"), file),
		"extra argument":     append(append([]string(nil), good...), "-v"),
		"extra option first": append([]string{"-v"}, good...),
		"relative file":      append(append([]string(nil), good[:10]...), "x.sql.gz"),
		"missing file":       append(append([]string(nil), good[:10]...), file+".gone"),
		"relative log":       append(append(append([]string(nil), good[:7]...), "bp.log"), good[8:]...),
		"wrong policy":       append([]string{"-p", "Other"}, good[2:]...),
		"empty server":       append(append(append([]string(nil), good[:5]...), ""), good[6:]...),
	}
	for name, args := range bad {
		out, err := exec.Command(f.bin, args...).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "usage: bpbackup") {
			t.Errorf("%s: %v: exit %v, output %q; want exit 2 with usage", name, args, err, out)
		}
	}
}

func TestNetBackupRunsExactCommand(t *testing.T) {
	f := newFakeNB(t)
	a := makeArtifact(t, "nb1")
	nb := f.shipper()
	r, err := nb.Ship(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(f.record)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	eff := nb.withDefaults()
	want := []string{
		strings.Join(eff.args(a.Path), "\t"),
		strings.Join(eff.args(a.ManifestPath), "\t"),
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("bpbackup ran with\n%q\nwant\n%q", lines, want)
	}
	if !strings.HasPrefix(want[0], "-p\tMariaDB\t-s\tUser\t-S\tnbu-master\t-L\t"+f.log+"\t-w\t0\t/") {
		t.Errorf("argument list %q", want[0])
	}
	if wantLoc := "policy MariaDB schedule User on nbu-master: " + a.Path; r.Location != wantLoc {
		t.Errorf("Location = %q, want %q", r.Location, wantLoc)
	}
	log, _ := os.ReadFile(f.log)
	if strings.Count(string(log), "EXIT STATUS 0") != 2 {
		t.Errorf("log:\n%s", log)
	}
}

func TestNetBackupFailureCarriesStatusAndLog(t *testing.T) {
	f := newFakeNB(t)
	a := makeArtifact(t, "nb2")
	nb := f.shipper()
	if _, err := nb.Ship(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	f.set(t, "fail", true)
	_, err := nb.Ship(context.Background(), a)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	t.Logf("error: %v", msg)
	for _, want := range []string{"exit status 25", "EXIT STATUS 25: cannot connect on socket", "Cannot connect to master server nbu-master",
		"stderr: EXIT STATUS 25", a.Path} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q", want)
		}
	}
	// Only what this invocation appended: not the earlier successful runs.
	if strings.Contains(msg, "EXIT STATUS 0") || strings.Contains(msg, "successfully completed") {
		t.Error("error carries log lines of earlier runs")
	}
}

func TestNetBackupManifestFailureFailsShip(t *testing.T) {
	f := newFakeNB(t)
	a := makeArtifact(t, "nb3")
	f.set(t, "fail-manifest", true)
	_, err := f.shipper().Ship(context.Background(), a)
	if err == nil || !strings.Contains(err.Error(), a.ManifestPath) || !strings.Contains(err.Error(), "exit status 25") {
		t.Fatalf("err = %v, want the manifest's bpbackup failure", err)
	}
	// The artifact went first and made it; the ship as a whole did not.
	if _, err := os.Stat(f.vault + a.Path); err != nil {
		t.Errorf("artifact not in the vault: %v", err)
	}
	// A manifest path that is not a regular file is refused before bpbackup runs.
	b := makeArtifact(t, "nb3b")
	if err := os.Remove(b.ManifestPath); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(b.ManifestPath, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := f.shipper().Ship(context.Background(), b); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("err = %v", err)
	}
}

func TestNetBackupTimeoutKillsProcessGroup(t *testing.T) {
	f := newFakeNB(t)
	a := makeArtifact(t, "nb4")
	f.set(t, "hang", true)
	nb := f.shipper()
	nb.Timeout = 700 * time.Millisecond
	began := time.Now()
	_, err := nb.Ship(context.Background(), a)
	took := time.Since(began)
	if err == nil || !strings.Contains(err.Error(), "timed out after 700ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	t.Logf("returned after %v: %v", took.Round(time.Millisecond), err)
	if took > 4*time.Second {
		t.Errorf("took %v", took)
	}
	b, err := os.ReadFile(f.hangPID)
	if err != nil {
		t.Fatalf("the fake never hung: %v", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(2 * time.Second)
	for !processGone(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !processGone(pid) {
		t.Errorf("bpbackup's child %d survived the timeout", pid)
	}
}

func TestNetBackupMissingBinary(t *testing.T) {
	a := makeArtifact(t, "nb5")
	nb := &NetBackup{Bin: filepath.Join(t.TempDir(), "bpbackup"), Server: "x", LogFile: filepath.Join(t.TempDir(), "log")}
	_, err := nb.Ship(context.Background(), a)
	if err == nil || !strings.Contains(err.Error(), "GD_NETBACKUP_BIN") {
		t.Fatalf("err = %v", err)
	}
	dir := t.TempDir()
	_, _, err = nb.Fetch(context.Background(), a.Path, dir)
	if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "run bprestore "+filepath.Join(filepath.Dir(nb.Bin), "bprestore")) ||
		!strings.Contains(err.Error(), "GD_NETBACKUP_BIN") {
		t.Fatalf("Fetch without bprestore: err = %v", err)
	}
	wantDir(t, dir)
}

func TestFakeBPRestoreIsStrict(t *testing.T) {
	f := newFakeNB(t)
	file := filepath.Join(t.TempDir(), "x.sql.gz")
	if err := os.MkdirAll(filepath.Dir(f.vault+file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.vault+file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	good := func(rename string) []string {
		return []string{"-L", f.log, "-R", rename, "-S", "nbu-master", "-p", "MariaDB", "-w", "0", file}
	}
	goodRename := "change " + file + " to " + filepath.Join(dest, "x.sql.gz") + "\n"
	cases := []struct {
		name     string
		args     func(rename string) []string
		rename   string
		wantExit int
		wantOut  string
	}{
		{"good", good, goodRename, 0, ""},
		{"not in the vault", func(r string) []string { a := good(r); a[10] = file + ".gone"; return a },
			"change " + file + ".gone to " + filepath.Join(dest, "y") + "\n", 227, "EXIT STATUS 227: no entity was found"},
		{"-S before -R", func(r string) []string { a := good(r); a[2], a[3], a[4], a[5] = a[4], a[5], a[2], a[3]; return a }, goodRename, 2, "usage: bprestore"},
		{"bare -w", func(r string) []string { return append(good(r)[:9], file) }, goodRename, 2, "usage: bprestore"},
		{"-w 1", func(r string) []string { a := good(r); a[9] = "1"; return a }, goodRename, 2, "usage: bprestore"},
		{"schedule passed", func(r string) []string { return append([]string{"-s", "User"}, good(r)...) }, goodRename, 2, "usage: bprestore"},
		{"wrong policy", func(r string) []string { a := good(r); a[7] = "Other"; return a }, goodRename, 2, "usage: bprestore"},
		{"wrong server", func(r string) []string { a := good(r); a[5] = "other-master"; return a }, goodRename, 2, "usage: bprestore"},
		{"relative file", func(r string) []string { a := good(r); a[10] = "x.sql.gz"; return a }, goodRename, 2, "usage: bprestore"},
		{"no file", func(r string) []string { return good(r)[:10] }, goodRename, 2, "usage: bprestore"},
		{"rename line missing", good, "", 2, "usage: bprestore"},
		{"rename keyword", good, "rename " + file + " to " + filepath.Join(dest, "x") + "\n", 2, "usage: bprestore"},
		{"rename to a relative path", good, "change " + file + " to x.sql.gz\n", 2, "usage: bprestore"},
		{"rename into a missing directory", good, "change " + file + " to " + filepath.Join(dest, "gone", "x") + "\n", 2, "usage: bprestore"},
		{"rename of another file", good, goodRename + "change /etc/passwd to " + filepath.Join(dest, "p") + "\n", 2, "usage: bprestore"},
	}
	for _, tc := range cases {
		rename := filepath.Join(t.TempDir(), "rename")
		if err := os.WriteFile(rename, []byte(tc.rename), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(f.restore, tc.args(rename)...).CombinedOutput()
		exit := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			exit = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if exit != tc.wantExit || !strings.Contains(string(out), tc.wantOut) {
			t.Errorf("%s: exit %d, output %q; want exit %d with %q", tc.name, exit, out, tc.wantExit, tc.wantOut)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dest, "x.sql.gz")); err != nil || string(b) != "x" {
		t.Errorf("restored copy = %q, %v", b, err)
	}
}

func TestNetBackupFetchRunsExactCommand(t *testing.T) {
	f := newFakeNB(t)
	a := makeArtifact(t, "nb6")
	nb := f.shipper()
	r, err := nb.Ship(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	art, man, err := nb.Fetch(context.Background(), r.Location, dir)
	if err != nil {
		t.Fatal(err)
	}
	if art != filepath.Join(dir, filepath.Base(a.Path)) || man != filepath.Join(dir, filepath.Base(a.ManifestPath)) {
		t.Errorf("Fetch = %s, %s", art, man)
	}
	b, err := os.ReadFile(f.restoreRecord)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 {
		t.Fatalf("bprestore record:\n%s\nwant one argument line and two rename lines", b)
	}
	args := strings.Split(lines[0], "\t")
	if len(args) != 12 {
		t.Fatalf("bprestore ran with %q", args)
	}
	renameFile := args[3]
	tmp := filepath.Dir(renameFile)
	if filepath.Dir(tmp) != dir || !strings.HasPrefix(filepath.Base(tmp), ".tmp-fetch-") {
		t.Errorf("rename file %s is not in a scratch directory of %s", renameFile, dir)
	}
	want := []string{"-L", f.log, "-R", renameFile, "-S", "nbu-master", "-p", "MariaDB", "-w", "0", a.Path, a.ManifestPath}
	eff := nb.withDefaults()
	if !reflect.DeepEqual(args, want) || !reflect.DeepEqual(args, eff.restoreArgs(renameFile, a.Path, a.ManifestPath)) {
		t.Errorf("bprestore ran with\n%q\nwant\n%q", args, want)
	}
	wantRename := []string{
		"change " + a.Path + " to " + filepath.Join(tmp, filepath.Base(a.Path)),
		"change " + a.ManifestPath + " to " + filepath.Join(tmp, filepath.Base(a.ManifestPath)),
	}
	if !reflect.DeepEqual(lines[1:], wantRename) {
		t.Errorf("rename file\n%q\nwant\n%q", lines[1:], wantRename)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("scratch directory %s left behind (%v)", tmp, err)
	}

	// The bare spool path NetBackup catalogued is a location too.
	if _, _, err := nb.Fetch(context.Background(), a.Path, t.TempDir()); err != nil {
		t.Errorf("Fetch of the bare path: %v", err)
	}

	// Not in the catalog: ErrNotFound carrying NetBackup's own words.
	gone := strings.Replace(r.Location, "nb6-", "nb7-", 1)
	_, _, err = nb.Fetch(context.Background(), gone, t.TempDir())
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "exit status 227") || !strings.Contains(err.Error(), "EXIT STATUS 227: no entity was found") {
		t.Errorf("Fetch of an unknown file: err = %v, want ErrNotFound with bprestore's status 227", err)
	}
	t.Logf("not found: %v", err)

	// A path a rename file cannot hold is refused before bprestore runs.
	odd := filepath.Join(t.TempDir(), "back to front")
	if err := os.Mkdir(odd, 0o755); err != nil {
		t.Fatal(err)
	}
	_, _, err = nb.Fetch(context.Background(), r.Location, odd)
	if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `" to "`) {
		t.Errorf("Fetch into %q: err = %v, want a refusal naming \" to \"", odd, err)
	}
	wantDir(t, odd)
}

func TestBackedUpFile(t *testing.T) {
	const p = "/var/spool/gd/2024-03-15/mdb_bkp_r1-20240315_020007.sql.gz"
	for _, tc := range []struct {
		location, want string // want "" = ErrNotFound
	}{
		{"policy MariaDB schedule User on nbu-master: " + p, p},
		{"policy MariaDB schedule User on nbu:1556: " + p, p},
		{p, p},
		{"/var/spool/gd/2024-03-15/mdb_bkp_r1-20240315_020007.sql.zst", "/var/spool/gd/2024-03-15/mdb_bkp_r1-20240315_020007.sql.zst"},
		{"nbu-master: " + p, ""},
		{"policy MariaDB schedule User on nbu-master: relative/mdb_bkp_r1-20240315_020007.sql.gz", ""},
		{"policy MariaDB schedule User on nbu-master: /var/spool/gd/notes.txt", ""},
		{"scp-user@host:22:" + p, ""},
		{"", ""},
	} {
		got, err := backedUpFile(tc.location)
		if tc.want == "" {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("backedUpFile(%q) = %q, %v; want ErrNotFound", tc.location, got, err)
			}
		} else if err != nil || got != tc.want {
			t.Errorf("backedUpFile(%q) = %q, %v; want %q", tc.location, got, err, tc.want)
		}
	}
}

// --- scp ---

func TestShellQuote(t *testing.T) {
	for _, s := range []string{"plain", "it's", "a b", `$(touch x) ; rm -rf / "q" \ ` + "`x`", "''", ""} {
		out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("shellQuote(%q) round-trips as %q, %v", s, out, err)
		}
	}
}

func TestParseSum(t *testing.T) {
	h := strings.Repeat("0f", 32)
	for in, want := range map[string]string{
		h + "  /x/y\n":                 h,
		`\` + h + `  /x/a\nb` + "\n":   h,
		"":                             "",
		"sha256sum: x: No such file\n": "",
	} {
		if got := parseSum(in); got != want {
			t.Errorf("parseSum(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSCPRemoteDir(t *testing.T) {
	for in, want := range map[string]string{"/srv/b/": "/srv/b", "~": ".", "~/": ".", "~/b/c": "b/c", "rel//x": "rel/x"} {
		if got := (&SCP{Dir: in}).remoteDir(); got != want {
			t.Errorf("remoteDir(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSCPParseListing(t *testing.T) {
	const art = "./2024-03-15/mdb_bkp_r-20240315_020007.sql.gz"
	const man = "./2024-03-15/mdb_bkp_r-20240315_020007.manifest.json"
	good := `{"v":1,"region":"r","file":"mdb_bkp_r-20240315_020007.sql.gz","bytes":12,"sha256":"ab"}`
	s := &SCP{User: "u", Host: "h", Port: 22}
	for _, tc := range []struct {
		name, out string
		want      int // copies; -1 = error
	}{
		{"nothing", "", 0},
		{"one copy", "A 12 " + art + "\x00M " + man + "\x00" + good + "\x00", 1},
		{"manifest first", "M " + man + "\x00" + good + "\x00A 12 " + art + "\x00", 1},
		{"no manifest", "A 12 " + art + "\x00", 0},
		{"empty manifest", "A 12 " + art + "\x00M " + man + "\x00\x00", 1},
		{"bad size", "A x " + art + "\x00", -1},
		{"manifest cut off", "A 12 " + art + "\x00M " + man, -1},
		{"noise", "Welcome to the bastion host!\n\x00", -1},
	} {
		got, err := s.parseListing(tc.out, "/b", "")
		switch {
		case tc.want < 0 && err == nil:
			t.Errorf("%s: parseListing = %+v, want an error", tc.name, got)
		case tc.want >= 0 && (err != nil || len(got) != tc.want):
			t.Errorf("%s: parseListing = %+v, %v; want %d copies", tc.name, got, err, tc.want)
		case tc.want == 1 && (got[0].Location != "u@h:22:/b/2024-03-15/mdb_bkp_r-20240315_020007.sql.gz" || got[0].Bytes != 12 || got[0].Region != "r"):
			t.Errorf("%s: parseListing = %+v", tc.name, got[0])
		}
	}
}

func TestSCP(t *testing.T) {
	sshd := testenv.StartSSHD(t)
	newSCP := func(dir string) *SCP {
		return &SCP{Host: sshd.Host, Port: sshd.Port, User: sshd.User, Dir: dir, KeyFile: sshd.KeyFile, KnownHosts: sshd.KnownHosts, Timeout: time.Minute}
	}

	t.Run("QuotesAndNoInjection", func(t *testing.T) {
		t.Parallel()
		base := sshd.MkdirTemp(t, "q")
		dir := filepath.Join(base, `o'brien's "backups"`, "$(touch pwned)", "`touch pwned2`; touch pwned3")
		a := makeArtifact(t, "o'brien")
		r, err := newSCP(dir).Ship(context.Background(), a)
		if err != nil {
			t.Fatal(err)
		}
		final := filepath.Join(dir, "2024-03-15", filepath.Base(a.Path))
		if want := sshd.User + "@127.0.0.1:" + strconv.Itoa(sshd.Port) + ":" + final; r.Location != want {
			t.Errorf("Location = %q, want %q", r.Location, want)
		}
		for _, p := range []string{final, store.ManifestPath(final)} {
			if _, err := os.Stat(p); err != nil {
				t.Error(err)
			}
		}
		home, _ := os.UserHomeDir()
		for _, d := range []string{base, home, sshd.Dir} {
			for _, n := range []string{"pwned", "pwned2", "pwned3"} {
				if _, err := os.Stat(filepath.Join(d, n)); err == nil {
					t.Errorf("remote command injection: %s exists", filepath.Join(d, n))
					_ = os.Remove(filepath.Join(d, n))
				}
			}
		}
	})

	t.Run("UnknownHostKey", func(t *testing.T) {
		t.Parallel()
		other := testenv.StartSSHD(t) // a different host key for another port
		s := newSCP(sshd.MkdirTemp(t, "hk"))
		s.KnownHosts = other.KnownHosts
		_, err := s.Ship(context.Background(), makeArtifact(t, "hk"))
		if err == nil || !strings.Contains(err.Error(), "Host key verification failed") || !strings.Contains(err.Error(), "exit status 255") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("ConnectionRefused", func(t *testing.T) {
		t.Parallel()
		s := newSCP(sshd.MkdirTemp(t, "cr"))
		_, port, _ := strings.Cut(testenv.DeadAddr(t), ":")
		s.Port, _ = strconv.Atoi(port)
		_, err := s.Ship(context.Background(), makeArtifact(t, "cr"))
		if err == nil || !strings.Contains(err.Error(), "Connection refused") || !strings.Contains(err.Error(), "connection failed") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("RemoteErrorCarriesStderr", func(t *testing.T) {
		t.Parallel()
		base := sshd.MkdirTemp(t, "err")
		if err := os.WriteFile(filepath.Join(base, "file"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := newSCP(filepath.Join(base, "file", "sub")).Ship(context.Background(), makeArtifact(t, "err"))
		if err == nil || !strings.Contains(err.Error(), "Not a directory") || !strings.Contains(err.Error(), "exit status 1") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("MissingKeyFile", func(t *testing.T) {
		t.Parallel()
		s := newSCP(sshd.MkdirTemp(t, "mk"))
		s.KeyFile += ".gone"
		_, err := s.Ship(context.Background(), makeArtifact(t, "mk"))
		if err == nil || !strings.Contains(err.Error(), "GD_SCP_KEY") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("ListSkipsJunk", func(t *testing.T) {
		t.Parallel()
		dir := sshd.MkdirTemp(t, "ls")
		a := makeArtifact(t, "r1")
		s := newSCP(dir)
		if _, err := s.Ship(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		bad, size := plantListJunk(t, dir)
		got, err := s.List(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		checkJunkListing(t, got, a, bad, size)
	})

	t.Run("ListUnreadableDirIsAnError", func(t *testing.T) {
		t.Parallel()
		base := sshd.MkdirTemp(t, "lserr")
		if err := os.WriteFile(filepath.Join(base, "file"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := newSCP(filepath.Join(base, "file", "sub")).List(context.Background(), "")
		if err == nil || !strings.Contains(err.Error(), "scp list") || !strings.Contains(err.Error(), "Not a directory") {
			t.Fatalf("List = %v, %v; want an error saying Not a directory", got, err)
		}
		t.Logf("error: %v", err)
	})

	t.Run("Timeout", func(t *testing.T) {
		t.Parallel()
		s := newSCP(sshd.MkdirTemp(t, "to"))
		s.Port = blackHolePort(t)
		s.Timeout = 700 * time.Millisecond
		began := time.Now()
		_, err := s.Ship(context.Background(), makeArtifact(t, "to"))
		if err == nil || !strings.Contains(err.Error(), "timed out after 700ms") || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		if took := time.Since(began); took > 4*time.Second {
			t.Errorf("took %v", took)
		}
	})
}
