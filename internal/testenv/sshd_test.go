package testenv

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestStartSSHD(t *testing.T) {
	s := StartSSHD(t)
	if s.Host != "127.0.0.1" || s.Port == 0 || s.User == "" {
		t.Fatalf("SSHD = %+v", s)
	}
	fi, err := os.Stat(s.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	kh, err := os.ReadFile(s.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[127.0.0.1]:" + strconv.Itoa(s.Port) + " ssh-ed25519 "; !strings.HasPrefix(string(kh), want) {
		t.Errorf("known_hosts = %q, want prefix %q", kh, want)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A remote command runs as User, in a shell, on this host.
	out, err := s.Command(ctx, "id -un; pwd").CombinedOutput()
	if err != nil {
		t.Fatalf("ssh: %v: %s", err, out)
	}
	if got := strings.SplitN(string(out), "\n", 2)[0]; got != s.User {
		t.Errorf("remote user = %q, want %q", got, s.User)
	}
	// Remote paths are local: a file written remotely appears under Dir.
	dir := s.MkdirTemp(t, "it's a dir ")
	if _, err := s.Command(ctx, "printf hello > '"+strings.ReplaceAll(dir, "'", `'\''`)+"/f'").CombinedOutput(); err != nil {
		t.Fatalf("remote write: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "f")); err != nil || string(b) != "hello" {
		t.Fatalf("remote write landed as %q, %v", b, err)
	}

	// scp in its default (SFTP) mode and in legacy mode (-O) both work.
	src := filepath.Join(t.TempDir(), "payload")
	payload := bytes.Repeat([]byte("gravedancer\n"), 1000)
	if err := os.WriteFile(src, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	scpBin, err := exec.LookPath("scp")
	if err != nil {
		Require(t, "scp not found (install openssh-client)")
	}
	for _, mode := range []string{"sftp", "legacy"} {
		args := append(s.SSHOptions(), "-q", "-P", strconv.Itoa(s.Port))
		if mode == "legacy" {
			args = append(args, "-O")
		}
		// Legacy mode hands the destination to a remote shell unquoted, so
		// it only copes with plain paths; SFTP mode takes it literally.
		dst := filepath.Join(dir, "copy-"+mode)
		if mode == "legacy" {
			dst = s.Path("copy-" + mode)
		}
		args = append(args, src, s.Host+":"+dst)
		if out, err := exec.CommandContext(ctx, scpBin, args...).CombinedOutput(); err != nil {
			t.Fatalf("scp (%s): %v: %s", mode, err, out)
		}
		if b, err := os.ReadFile(dst); err != nil || !bytes.Equal(b, payload) {
			t.Errorf("scp (%s) copy differs (%d bytes, %v)", mode, len(b), err)
		}
	}

	// A key the server does not know is refused without a prompt.
	other := filepath.Join(t.TempDir(), "other")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	bad := &SSHD{Host: s.Host, Port: s.Port, User: s.User, KeyFile: other, KnownHosts: s.KnownHosts}
	out, err = bad.Command(ctx, "true").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Permission denied") {
		t.Errorf("unknown key: err=%v out=%q, want Permission denied", err, out)
	}
	if !strings.Contains(s.Log(), "Accepted publickey") {
		t.Errorf("sshd log lacks 'Accepted publickey':\n%s", s.Log())
	}

	s.Stop()
	if s.Running() {
		t.Error("sshd still running after Stop")
	}
	if err := banner(s.Host + ":" + strconv.Itoa(s.Port)); err == nil {
		t.Error("port still answers after Stop")
	}
	s.Stop() // a second Stop is a no-op
}

func TestStartSSHDTwice(t *testing.T) {
	a, b := StartSSHD(t), StartSSHD(t)
	if a.Port == b.Port || a.KeyFile == b.KeyFile {
		t.Fatalf("two servers share port or key: %d %d", a.Port, b.Port)
	}
	// a's key is not authorized on b.
	cross := &SSHD{Host: b.Host, Port: b.Port, User: b.User, KeyFile: a.KeyFile, KnownHosts: b.KnownHosts}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := cross.Command(ctx, "true").CombinedOutput(); err == nil {
		t.Errorf("a's key logged in to b: %s", out)
	}
	// b's host key is not the one a's known_hosts holds for b's port.
	cross = &SSHD{Host: b.Host, Port: b.Port, User: b.User, KeyFile: b.KeyFile, KnownHosts: a.KnownHosts}
	out, err := cross.Command(ctx, "true").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Host key verification failed") {
		t.Errorf("wrong known_hosts: err=%v out=%q", err, out)
	}
}
