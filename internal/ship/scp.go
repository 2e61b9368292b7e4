package ship

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Flags spelled -p that are not passwords: ssh's port, scp's
// preserve-times.
const (
	sshPort     = "-p"
	scpPreserve = "-p"
)

// DefaultSCPPort is SCP's Port when zero.
const DefaultSCPPort = 22

// cleanupTimeout bounds removing a remote temp file after a failed ship.
const cleanupTimeout = 30 * time.Second

// SCP ships over ssh with the system ssh and scp binaries, into
// <Dir>/<YYYY-MM-DD>/ on Host. Every call passes
//
//	-o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=KnownHosts
//	-o IdentitiesOnly=yes -i KeyFile -o ConnectTimeout=15
//	-o ServerAliveInterval=30 -o ServerAliveCountMax=4 -o User=User
//
// and the port (-p for ssh, -P for scp), so it never prompts: an unknown or
// changed host key, or a key the server refuses, is an error. Other settings
// of the system and user ssh_config still apply (ProxyJump, for instance).
// Defaults: Port 22, User the user running gravedancer, Timeout
// DefaultTimeout (6h, for the whole Ship). Host, Dir, KeyFile and KnownHosts
// are required.
//
// Contract, for the artifact and then its manifest:
//  1. ssh: mkdir -p the dated directory; if the final name exists, its
//     sha256sum. Equal to the expected hash: done, nothing is sent.
//  2. scp the local file to ".tmp-<name>.<random>" in that directory, so a
//     half-copied file never has the final name.
//  3. ssh: sha256sum of the temp file must equal Artifact.SHA256 (for the
//     manifest: the local manifest's hash).
//  4. ssh: mv -f the temp file to the final name (a rename in one directory).
//
// On an error the temp file is removed (unless ctx ended, which aborts at
// once: then a ".tmp-" file may be left for the remote side to clean).
// Remote paths are single-quoted for the remote shell, which must be a
// POSIX shell with GNU coreutils (sha256sum). scp runs in its default SFTP
// mode (OpenSSH 9+), where the destination is taken literally. A Dir
// starting with "~/" is relative to the login directory, as is any relative
// Dir. Errors carry the end of ssh's or scp's stderr. When Timeout runs out
// or ctx ends, the ssh/scp process group is killed. Receipt.Location is
// "user@host:port:/dir/date/file".
type SCP struct {
	Host       string
	Port       int
	User       string
	Dir        string
	KeyFile    string
	KnownHosts string
	Timeout    time.Duration
}

var _ Shipper = (*SCP)(nil)

// Name implements Shipper.
func (s *SCP) Name() string { return TargetSCP }

func (s SCP) withDefaults() SCP {
	if s.Port == 0 {
		s.Port = DefaultSCPPort
	}
	if s.User == "" {
		if u, err := user.Current(); err == nil {
			s.User = u.Username
		}
	}
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	return s
}

func (s *SCP) validate() error {
	switch {
	case strings.TrimSpace(s.Host) == "":
		return errors.New("scp: host is not set (GD_SCP_HOST)")
	case strings.HasPrefix(s.Host, "-") || strings.ContainsAny(s.Host, " \t\n\x00@/"):
		return fmt.Errorf("scp: host %q is not a host name or address (GD_SCP_HOST)", s.Host)
	case s.Port < 1 || s.Port > 65535:
		return fmt.Errorf("scp: port %d is not 1-65535 (GD_SCP_PORT)", s.Port)
	case s.User == "":
		return errors.New("scp: user is not set and the current user is unknown (GD_SCP_USER)")
	case strings.HasPrefix(s.User, "-") || strings.ContainsAny(s.User, " \t\n\x00@:\"'"):
		return fmt.Errorf("scp: user %q is not a valid user name (GD_SCP_USER)", s.User)
	case strings.TrimSpace(s.Dir) == "":
		return errors.New("scp: dir is not set (GD_SCP_DIR)")
	case strings.ContainsAny(s.Dir, "\n\r\x00"):
		return fmt.Errorf("scp: dir %q holds a line break or NUL (GD_SCP_DIR)", s.Dir)
	case strings.HasPrefix(s.Dir, "~") && s.Dir != "~" && !strings.HasPrefix(s.Dir, "~/"):
		return fmt.Errorf("scp: dir %q: only ~/ (the login directory) is understood, not ~user (GD_SCP_DIR)", s.Dir)
	case s.KeyFile == "":
		return errors.New("scp: key file is not set (GD_SCP_KEY)")
	case s.KnownHosts == "":
		return errors.New("scp: known hosts file is not set (GD_SCP_KNOWN_HOSTS)")
	case strings.ContainsAny(s.KeyFile, "\"\n\x00"):
		return fmt.Errorf("scp: key file %q holds a double quote or line break (GD_SCP_KEY)", s.KeyFile)
	case strings.ContainsAny(s.KnownHosts, "\"\n\x00"):
		return fmt.Errorf("scp: known hosts file %q holds a double quote or line break (GD_SCP_KNOWN_HOSTS)", s.KnownHosts)
	}
	return nil
}

// remoteDir is Dir as the remote side sees it: "~/x" becomes "x" (paths
// are relative to the login directory in ssh and sftp alike).
func (s *SCP) remoteDir() string {
	d := s.Dir
	switch {
	case d == "~":
		d = "."
	case strings.HasPrefix(d, "~/"):
		d = strings.TrimLeft(d[2:], "/")
		if d == "" {
			d = "."
		}
	}
	return path.Clean(d)
}

// Ship implements Shipper.
func (s *SCP) Ship(ctx context.Context, a Artifact) (Receipt, error) {
	sc := s.withDefaults()
	if err := sc.validate(); err != nil {
		return Receipt{}, err
	}
	if err := a.check(); err != nil {
		return Receipt{}, err
	}
	for _, f := range []struct{ path, what, env string }{
		{sc.KeyFile, "key file", "GD_SCP_KEY"}, {sc.KnownHosts, "known hosts file", "GD_SCP_KNOWN_HOSTS"},
	} {
		if _, err := os.Stat(f.path); err != nil {
			return Receipt{}, fmt.Errorf("%s: %w (%s)", f.what, err, f.env)
		}
	}
	ctx, cancel := withTimeout(ctx, sc.Timeout)
	defer cancel()

	local, err := absPath(a.Path)
	if err != nil {
		return Receipt{}, err
	}
	localManifest, err := absPath(a.ManifestPath)
	if err != nil {
		return Receipt{}, err
	}
	mhash, err := hashFile(ctx, localManifest)
	if err != nil {
		if ctx.Err() != nil {
			return Receipt{}, context.Cause(ctx)
		}
		return Receipt{}, fmt.Errorf("hash manifest: %w", err)
	}
	day := path.Join(sc.remoteDir(), a.day())
	final, err := sc.send(ctx, local, day, a.SHA256)
	if err != nil {
		return Receipt{}, err
	}
	if _, err := sc.send(ctx, localManifest, day, mhash); err != nil {
		return Receipt{}, err
	}
	return Receipt{Target: TargetSCP, Location: fmt.Sprintf("%s@%s:%d:%s", sc.User, sc.Host, sc.Port, final), At: time.Now()}, nil
}

// send makes <day>/<base of local> on the remote side a verified copy of
// local, whose sha256 is want, and returns the remote path.
func (s *SCP) send(ctx context.Context, local, day, want string) (string, error) {
	if fi, err := os.Stat(local); err != nil {
		return "", fmt.Errorf("local file: %w", err)
	} else if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("local file %s is not a regular file", local)
	}
	base := filepath.Base(local)
	final := path.Join(day, base)
	out, err := s.ssh(ctx, "mkdir -p "+day+" and check "+base,
		"mkdir -p -- "+shellQuote(day)+" && if [ -f "+shellQuote(final)+" ]; then sha256sum -- "+shellQuote(final)+"; fi")
	if err != nil {
		return "", err
	}
	if parseSum(out) == want {
		return final, nil // already shipped
	}

	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmp := path.Join(day, ".tmp-"+base+"."+hex.EncodeToString(rnd[:]))
	moved := false
	defer func() {
		if moved || ctx.Err() != nil {
			return
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		_, _ = s.ssh(cctx, "rm -f "+tmp, "rm -f -- "+shellQuote(tmp))
	}()
	if err := s.scp(ctx, local, tmp); err != nil {
		return "", err
	}
	out, err = s.ssh(ctx, "sha256sum "+tmp, "sha256sum -- "+shellQuote(tmp))
	if err != nil {
		return "", err
	}
	if got := parseSum(out); got != want {
		return "", fmt.Errorf("%w: %s:%s reads back as sha256 %q, want %s", ErrHashMismatch, s.Host, tmp, got, want)
	}
	if _, err := s.ssh(ctx, "mv -f "+path.Base(tmp)+" "+base, "mv -f -- "+shellQuote(tmp)+" "+shellQuote(final)); err != nil {
		return "", err
	}
	moved = true
	return final, nil
}

// options are the ssh options shared by ssh and scp (without the port).
func (s *SCP) options() []string {
	return []string{
		"-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile=" + sshConfigPath(s.KnownHosts),
		"-o", "IdentitiesOnly=yes",
		"-i", strings.ReplaceAll(s.KeyFile, "%", "%%"),
		"-o", "ConnectTimeout=15",
		"-o", "ServerAliveInterval=30",
		"-o", "ServerAliveCountMax=4",
		"-o", "User=" + s.User,
	}
}

// ssh runs remoteCmd through the remote user's shell and returns its
// stdout; what describes it in errors.
func (s *SCP) ssh(ctx context.Context, what, remoteCmd string) (string, error) {
	args := append(s.options(), sshPort, strconv.Itoa(s.Port), "--", s.Host, remoteCmd)
	res, err := runProc(ctx, "ssh", args)
	if err != nil {
		return "", s.procError(ctx, "ssh", what, res, err)
	}
	return res.Stdout, nil
}

// scp copies local to remote (a path on Host).
func (s *SCP) scp(ctx context.Context, local, remote string) error {
	host := s.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6 address
	}
	args := append(s.options(), "-q", scpPreserve, "-P", strconv.Itoa(s.Port), "--", local, host+":"+remote)
	res, err := runProc(ctx, "scp", args)
	if err != nil {
		return s.procError(ctx, "scp", local+" to "+remote, res, err)
	}
	return nil
}

func (s *SCP) procError(ctx context.Context, tool, what string, res procResult, err error) error {
	where := fmt.Sprintf("%s@%s:%d", s.User, s.Host, s.Port)
	stderr := lastLines(res.Stderr, tailLines)
	if stderr != "" {
		stderr = ": " + stderr
	}
	var te *TimeoutError
	var ee *exec.ExitError
	switch {
	case errors.As(err, &te):
		return fmt.Errorf("%s %s (%s) timed out after %v (killed)%s: %w", tool, where, what, te.Timeout, stderr, err)
	case ctx.Err() != nil:
		return fmt.Errorf("%s %s (%s) aborted (killed)%s: %w", tool, where, what, stderr, err)
	case errors.As(err, &ee) && res.ExitCode == 255:
		return fmt.Errorf("%s %s (%s): connection failed (exit status 255)%s", tool, where, what, stderr)
	case errors.As(err, &ee):
		return fmt.Errorf("%s %s (%s): exit status %d%s", tool, where, what, res.ExitCode, stderr)
	default:
		return fmt.Errorf("run %s: %w", tool, err)
	}
}

// shellQuote quotes s for a POSIX shell: 'it'\”s'.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sshConfigPath escapes a path for an ssh -o option value, which ssh splits
// on whitespace and expands % tokens in.
func sshConfigPath(p string) string {
	p = strings.ReplaceAll(p, "%", "%%")
	if strings.ContainsAny(p, " \t") {
		p = `"` + p + `"`
	}
	return p
}

// parseSum returns the hash from sha256sum output ("" if there is none).
// GNU sha256sum prefixes the line with a backslash when it escapes the name.
func parseSum(out string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	f := strings.Fields(strings.TrimPrefix(line, `\`))
	if len(f) == 0 || !isSHA256(f[0]) {
		return ""
	}
	return strings.ToLower(f[0])
}
