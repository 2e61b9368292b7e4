package ship

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gravedancer/internal/proc"
	"gravedancer/internal/store"
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
//
// List and Fetch read the same layout back (see them), each in one or two
// ssh/scp round trips, under the same options, Timeout and error handling.
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
	sc, err := s.ready()
	if err != nil {
		return Receipt{}, err
	}
	if err := a.check(); err != nil {
		return Receipt{}, err
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
	return Receipt{Target: TargetSCP, Location: sc.location(final), At: time.Now()}, nil
}

// ready returns s with defaults filled in, validated, with its key and
// known hosts files present.
func (s *SCP) ready() (SCP, error) {
	sc := s.withDefaults()
	if err := sc.validate(); err != nil {
		return SCP{}, err
	}
	for _, f := range []struct{ path, what, env string }{
		{sc.KeyFile, "key file", "GD_SCP_KEY"}, {sc.KnownHosts, "known hosts file", "GD_SCP_KNOWN_HOSTS"},
	} {
		if _, err := os.Stat(f.path); err != nil {
			return SCP{}, fmt.Errorf("%s: %w (%s)", f.what, err, f.env)
		}
	}
	return sc, nil
}

// where is "user@host:port", as errors and locations name the target.
func (s *SCP) where() string { return fmt.Sprintf("%s@%s:%d", s.User, s.Host, s.Port) }

// location is Receipt.Location of the remote path p: "user@host:port:p".
func (s *SCP) location(p string) string { return s.where() + ":" + p }

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
	out := &proc.Tail{Max: outputLimit}
	if err := s.sshTo(ctx, what, remoteCmd, out); err != nil {
		return "", err
	}
	return out.String(), nil
}

// sshTo is ssh with remoteCmd's stdout going to w.
func (s *SCP) sshTo(ctx context.Context, what, remoteCmd string, w io.Writer) error {
	args := append(s.options(), sshPort, strconv.Itoa(s.Port), "--", s.Host, remoteCmd)
	res, err := runProcOut(ctx, "ssh", args, w)
	if err != nil {
		return s.procError(ctx, "ssh", what, res, err)
	}
	return nil
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
	where := s.where()
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

// remoteFileType defines ftype for the remote shell: `ftype PATH` sets ft to
// PATH's file type as GNU stat words it ("regular file", "directory"), or
// to "" when PATH does not exist. Any other failure (a file where a
// directory belongs, permission denied) goes to stderr and exits 1, so an
// unreadable target is never mistaken for one that holds nothing. LC_ALL=C
// keeps stat's message in English for the match.
const remoteFileType = `LC_ALL=C; export LC_ALL
ftype() {
	if ft=$(stat -c %F -- "$1" 2>&1); then return 0; fi
	case $ft in *'No such file or directory'*) ft=; return 0 ;; esac
	printf '%s\n' "$ft" >&2
	exit 1
}
`

// List implements Lister with one ssh call: a GNU find lists the artifacts
// in <Dir>/<YYYY-MM-DD>/ with their sizes, and the same script prints every
// matching manifest, NUL-framed (JSON never holds a raw NUL; tr drops any
// from a corrupt file so the framing holds). The remote side needs GNU
// findutils and coreutils besides the POSIX shell Ship needs. A Dir that
// does not exist holds nothing; one that cannot be read is an error. The
// listing is held in memory, at most 64 MiB.
func (s *SCP) List(ctx context.Context, region string) ([]Remote, error) {
	sc, err := s.ready()
	if err != nil {
		return nil, fmt.Errorf("scp list: %w", err)
	}
	ctx, cancel := withTimeout(ctx, sc.Timeout)
	defer cancel()
	root := sc.remoteDir()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("scp list %s: %w", sc.location(root), context.Cause(ctx))
	}
	out := &capped{max: listLimit}
	if err := sc.sshTo(ctx, "list "+root, listScript(root, region), out); err != nil {
		return nil, fmt.Errorf("scp list %s: %w", sc.location(root), err)
	}
	if out.over {
		return nil, fmt.Errorf("scp list %s: the listing exceeds %d MiB; list one region at a time", sc.location(root), listLimit>>20)
	}
	rs, err := sc.parseListing(out.buf.String(), root, region)
	if err != nil {
		return nil, fmt.Errorf("scp list %s: %w", sc.location(root), err)
	}
	return rs, nil
}

// dayGlob matches a YYYY-MM-DD directory name.
const dayGlob = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"

// listScript is the remote script of List. With a region, find and the
// manifest glob narrow the listing to names starting with that region (a
// superset: region "eu" also matches "eu-west"; parseListing keeps the
// exact ones), so a one-region listing does not carry every manifest.
func listScript(root, region string) string {
	name, glob := "mdb_bkp_*", "mdb_bkp_*"
	if region != "" {
		name = "mdb_bkp_" + globEscape(region) + "-*" // find's -name reads glob(3)'s escapes too
		glob = "mdb_bkp_" + shellQuote(region) + "-*"
	}
	return remoteFileType +
		"ftype " + shellQuote(root) + "\n" +
		"[ -n \"$ft\" ] || exit 0\n" +
		"cd -- " + shellQuote(root) + " || exit 1\n" +
		"find . -mindepth 2 -maxdepth 2 -type f -path './" + dayGlob + "/*' -name " + shellQuote(name) +
		` -printf 'A %s %p\0' || exit 1` + "\n" +
		"for d in ./" + dayGlob + "/; do\n" +
		"\tfor m in \"$d\"" + glob + ".manifest.json; do\n" +
		"\t\t[ -f \"$m\" ] || continue\n" +
		"\t\tprintf 'M %s\\000' \"$m\"\n" +
		"\t\ttr -d '\\000' <\"$m\" || exit 1\n" +
		"\t\tprintf '\\000'\n" +
		"\tdone\n" +
		"done\n"
}

// parseListing reads listScript's output: "A <size> ./<day>/<name>" for
// each file find matched, and "M ./<day>/<name>" followed by the
// manifest's content for each manifest, every field ending in a NUL.
func (s *SCP) parseListing(out, root, region string) ([]Remote, error) {
	type file struct {
		rel  string
		size int64
	}
	var files []file
	manifests := map[string]string{}
	toks := strings.Split(out, "\x00")
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		switch {
		case tok == "" && i == len(toks)-1:
			// after the last NUL
		case strings.HasPrefix(tok, "A "):
			sz, rel, ok := strings.Cut(tok[2:], " ")
			n, err := strconv.ParseInt(sz, 10, 64)
			if !ok || err != nil {
				return nil, fmt.Errorf("unexpected listing line %q", tok)
			}
			files = append(files, file{rel, n})
		case strings.HasPrefix(tok, "M ") && i+1 < len(toks):
			manifests[tok[2:]] = toks[i+1]
			i++
		default:
			return nil, fmt.Errorf("unexpected listing output %q", tok)
		}
	}
	out2 := []Remote{}
	for _, f := range files {
		r, t, ok := store.ParseName(path.Base(f.rel))
		if !ok || (region != "" && r != region) {
			continue
		}
		data, ok := manifests[store.ManifestPath(f.rel)]
		if !ok {
			continue // an interrupted ship: the manifest goes last
		}
		out2 = append(out2, Remote{
			Target:   TargetSCP,
			Location: s.location(path.Join(root, strings.TrimPrefix(f.rel, "./"))),
			Region:   r,
			Time:     t,
			Bytes:    f.size,
			Manifest: decodeManifest([]byte(data)),
		})
	}
	sortRemotes(out2)
	return out2, nil
}

// Fetch implements Fetcher in two round trips: one ssh call checks that
// <Dir>/<date>/<name> and its manifest are regular files (name is
// location's base name, so only this target's own layout is read), then
// one scp brings both into a scratch directory in dir, from which they are
// renamed into place. Either missing is ErrNotFound; a Dir that cannot be
// read is another error.
func (s *SCP) Fetch(ctx context.Context, location, dir string) (string, string, error) {
	fail := func(err error) (string, string, error) {
		return "", "", fmt.Errorf("scp fetch %s: %w", location, err)
	}
	sc, err := s.ready()
	if err != nil {
		return fail(err)
	}
	name, day, err := artifactName(location)
	if err != nil {
		return fail(err)
	}
	dst, err := fetchDir(dir)
	if err != nil {
		return fail(err)
	}
	ctx, cancel := withTimeout(ctx, sc.Timeout)
	defer cancel()
	if err := ctx.Err(); err != nil {
		return fail(context.Cause(ctx))
	}
	remote := path.Join(sc.remoteDir(), day, name)
	remoteManifest := path.Join(sc.remoteDir(), day, manifestName(name))
	out, err := sc.ssh(ctx, "check "+remote, remoteFileType+
		"for f in "+shellQuote(remote)+" "+shellQuote(remoteManifest)+"; do\n"+
		"\tftype \"$f\"\n"+
		"\t[ \"$ft\" = 'regular file' ] || { printf 'missing %s\\n' \"$f\"; exit 0; }\n"+
		"done\n"+
		"echo present\n")
	if err != nil {
		return fail(err)
	}
	switch out = strings.TrimSpace(out); {
	case out == "present":
	case strings.HasPrefix(out, "missing "):
		return fail(fmt.Errorf("%w: %s holds no %s", ErrNotFound, sc.where(), strings.TrimPrefix(out, "missing ")))
	default:
		return fail(fmt.Errorf("ssh %s (check %s): unexpected output %q", sc.where(), remote, out))
	}
	art, man, err := fetchVia(dst, name, func(tmp string) error { return sc.scpFrom(ctx, tmp, remote, remoteManifest) })
	if err != nil {
		return fail(err)
	}
	return art, man, nil
}

// scpFrom copies the remote files into the local directory dir, in one scp.
// In SFTP mode scp expands globs in remote source paths, so each is escaped
// to match only itself.
func (s *SCP) scpFrom(ctx context.Context, dir string, remotes ...string) error {
	host := s.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6 address
	}
	args := append(s.options(), "-q", scpPreserve, "-P", strconv.Itoa(s.Port), "--")
	for _, r := range remotes {
		args = append(args, host+":"+globEscape(r))
	}
	// dir is absolute, so scp cannot read a colon in it as host:path.
	args = append(args, dir+"/")
	res, err := runProc(ctx, "scp", args)
	if err != nil {
		return s.procError(ctx, "scp", strings.Join(remotes, " and ")+" to "+dir, res, err)
	}
	return nil
}

// globEscape escapes the characters glob(3) treats specially.
func globEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`\*?[]`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
