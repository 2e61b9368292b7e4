package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"gravedancer/internal/app"
)

// The test runs in deploy/; the repository root is its parent.
const repoRoot = ".."

// Subcommands a deployment may run. The binary has more (dlq, status,
// runs, version): those are for people, not for units and manifests.
var deploySubcommands = []string{"backup", "worker", "run", "setup", "trigger"}

// The flags each deployable subcommand takes (see cmd/gravedancer).
var subcommandFlags = map[string][]string{
	"backup":  {"regions", "timeout"},
	"worker":  {"stages", "slots", "health", "grace"},
	"run":     {"slots", "health", "grace"},
	"setup":   {},
	"trigger": {"regions", "run"},
}

// defaultGrace is --grace's default in cmd/gravedancer/cmd_worker.go.
const defaultGrace = 2 * time.Minute

// Where every gravedancer process keeps its spool and state (README defaults).
const (
	spoolDir = "/var/backups/gravedancer"
	stateDir = "/var/lib/gravedancer"
)

// ---------------------------------------------------------------------------
// Helpers shared by the checks.

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ownFiles lists the regular files under deploy/ that this package owns:
// not the Go files, not the local secrets for compose (never committed), and
// not deploy/nats/ (the NATS server's own files; internal/natsconf tests
// them).
func ownFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p == "secrets" || p == "nats" {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".go") || !d.Type().IsRegular() {
			return nil
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// yamlFiles lists every *.yaml and *.yml under dir.
func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p == "secrets" {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// decodeAll decodes every document of a multi-document YAML file, skipping
// empty ones.
func decodeAll(t *testing.T, name string) []*yaml.Node {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(readFile(t, name)))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(n.Content) == 0 || n.Content[0].Tag == "!!null" {
			continue
		}
		docs = append(docs, &n)
	}
}

// parseDuration reads Go durations (2m) and systemd time spans (3min, 90s,
// 1h 30min, a bare number of seconds).
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	r := strings.NewReplacer("min", "m", "sec", "s", " ", "")
	return time.ParseDuration(r.Replace(s))
}

// gdCommand is one gravedancer command line as a deployment runs it.
type gdCommand struct {
	Sub    string
	Flags  map[string]string
	Stages []string
	Grace  time.Duration
	Health string // --health address, "" for none
}

// parseGD checks a gravedancer argument list (without the binary): a
// deployable subcommand the binary has, only its flags, valid stages.
func parseGD(args []string, known []string) (gdCommand, error) {
	var c gdCommand
	if len(args) == 0 {
		return c, errors.New("no subcommand")
	}
	c.Sub = args[0]
	if !slices.Contains(deploySubcommands, c.Sub) {
		return c, fmt.Errorf("subcommand %q is not one a deployment runs (%v)", c.Sub, deploySubcommands)
	}
	if !slices.Contains(known, c.Sub) {
		return c, fmt.Errorf("the binary has no subcommand %q (it has %v)", c.Sub, known)
	}
	c.Flags = map[string]string{}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return c, fmt.Errorf("%s takes no arguments, got %q", c.Sub, a)
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !slices.Contains(subcommandFlags[c.Sub], name) {
			return c, fmt.Errorf("%s has no flag --%s (it has %v)", c.Sub, name, subcommandFlags[c.Sub])
		}
		if !hasVal {
			if i+1 >= len(args) {
				return c, fmt.Errorf("--%s needs a value", name)
			}
			i++
			val = args[i]
		}
		c.Flags[name] = val
	}
	if c.Sub == "worker" {
		s, ok := c.Flags["stages"]
		if !ok || s == "" || s == "all" {
			return c, errors.New("worker without an explicit --stages list")
		}
		st, err := app.ParseStages(s)
		if err != nil {
			return c, fmt.Errorf("--stages: %v", err)
		}
		c.Stages = st
	}
	if c.Sub == "run" || c.Sub == "backup" {
		c.Stages = app.AllStages()
	}
	c.Grace = defaultGrace
	if g, ok := c.Flags["grace"]; ok {
		d, err := time.ParseDuration(g)
		if err != nil || d < 0 {
			return c, fmt.Errorf("--grace %q: not a duration", g)
		}
		c.Grace = d
	}
	c.Health = c.Flags["health"]
	if c.Health != "" {
		if _, _, err := net.SplitHostPort(c.Health); err != nil {
			return c, fmt.Errorf("--health %q: %v", c.Health, err)
		}
	}
	if c.Flags["slots"] != "" {
		if n, err := strconv.Atoi(c.Flags["slots"]); err != nil || n < 0 {
			return c, fmt.Errorf("--slots %q: not a count", c.Flags["slots"])
		}
	}
	return c, nil
}

// healthPort is the port of c's --health address.
func (c gdCommand) healthPort() int {
	_, p, _ := net.SplitHostPort(c.Health)
	n, _ := strconv.Atoi(p)
	return n
}

// expectedNATSUser is the NATS user of nats.conf a command runs as: admin
// sets up, trigger triggers, a one-stage worker is that stage's user, and
// worker holds every stage's rights for `run`.
func (c gdCommand) expectedNATSUser() string {
	switch c.Sub {
	case "setup":
		return "admin"
	case "trigger":
		return "trigger"
	case "run":
		return "worker"
	case "worker":
		if len(c.Stages) == 1 {
			return c.Stages[0]
		}
		return "worker"
	}
	return ""
}

// binarySubcommands reads the subcommands cmd/gravedancer registers.
func binarySubcommands(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "cmd", "gravedancer", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?:\bname:\s*|workerCommand\()"([a-z]+)"`)
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		for _, m := range re.FindAllStringSubmatch(readFile(t, f), -1) {
			if !slices.Contains(out, m[1]) {
				out = append(out, m[1])
			}
		}
	}
	sort.Strings(out)
	for _, want := range deploySubcommands {
		if !slices.Contains(out, want) {
			t.Fatalf("cmd/gravedancer registers %v: no %q (did the registration change? update binarySubcommands)", out, want)
		}
	}
	return out
}

// natsConf is what the deployments need to know about the top-level
// nats.conf: its users and the variables and includes it expects.
type natsConf struct {
	Users    map[string]string // user -> the $VARIABLE holding its password hash
	Vars     []string          // every $VARIABLE it references
	Includes []string          // files it includes, relative to its directory
}

func loadNATSConf(t *testing.T) natsConf {
	t.Helper()
	raw := readFile(t, filepath.Join(repoRoot, "nats.conf"))
	// Drop quoted strings ("$JS.API..." are subjects, not variables) and
	// comments before looking for $VARIABLES.
	var b strings.Builder
	for _, line := range strings.Split(raw, "\n") {
		line = regexp.MustCompile(`"[^"]*"|'[^']*'`).ReplaceAllString(line, `""`)
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line + "\n")
	}
	code := b.String()
	nc := natsConf{Users: map[string]string{}}
	for _, m := range regexp.MustCompile(`\buser:\s*"?([A-Za-z0-9_-]+)"?\s*,?\s*password:\s*\$([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(raw, -1) {
		nc.Users[m[1]] = m[2]
	}
	for _, m := range regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(code, -1) {
		if !slices.Contains(nc.Vars, m[1]) {
			nc.Vars = append(nc.Vars, m[1])
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^\s*include\s+"?([^"\s]+)"?`).FindAllStringSubmatch(raw, -1) {
		nc.Includes = append(nc.Includes, m[1])
	}
	if len(nc.Users) == 0 {
		t.Fatal("nats.conf: no `user: NAME, password: $VAR` users found; the deploy files give every process a NATS user and a password file")
	}
	return nc
}

// hashFromInclude reports whether a nats.conf variable is a password hash
// that deploy/nats/gen-users.sh writes into the included users file.
func (nc natsConf) hashFromInclude(v string) bool {
	if len(nc.Includes) == 0 {
		return false
	}
	for _, h := range nc.Users {
		if h == v {
			return true
		}
	}
	return false
}

// checkNATSServer checks that a NATS server deployment gives nats.conf what
// it needs: the included files beside it, and every other variable in its
// environment.
func checkNATSServer(t *testing.T, where string, nc natsConf, confPath string, files []string, env map[string]string) {
	t.Helper()
	if confPath == "" {
		t.Errorf("%s: does not mount the repository's nats.conf", where)
		return
	}
	for _, inc := range nc.Includes {
		want := path.Join(path.Dir(confPath), inc)
		if !slices.Contains(files, want) {
			t.Errorf("%s: nats.conf includes %s, so %s must be mounted (have %v)", where, inc, want, files)
		}
	}
	for _, v := range nc.Vars {
		if nc.hashFromInclude(v) {
			continue
		}
		if _, ok := env[v]; !ok {
			t.Errorf("%s: nats.conf references $%s, which its environment does not set", where, v)
		}
	}
}

// stagesCovered checks that the workers of one deployment run every stage.
func stagesCovered(t *testing.T, where string, got map[string]bool) {
	t.Helper()
	for _, s := range app.AllStages() {
		if !got[s] {
			t.Errorf("%s: no worker runs stage %s: its jobs would wait forever", where, s)
		}
	}
}

// ---------------------------------------------------------------------------
// Every file.

func TestYAMLParses(t *testing.T) {
	files := yamlFiles(t, ".")
	if len(files) < 5 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		if docs := decodeAll(t, f); len(docs) == 0 {
			t.Errorf("%s: no YAML document", f)
		}
	}
}

// configTable returns matchers for the variables README.md's configuration
// table documents, e.g. `GD_SOURCE_PASSWORD` / `GD_SOURCE_PASSWORD_FILE`,
// `GD_REGION_<NAME>_PASSWORD[_FILE]`.
func configTable(t *testing.T) []*regexp.Regexp {
	t.Helper()
	readme := readFile(t, filepath.Join(repoRoot, "README.md"))
	start := strings.Index(readme, "\n## Configuration")
	if start < 0 {
		t.Fatal("README.md has no '## Configuration' section")
	}
	section := readme[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	var out []*regexp.Regexp
	tick := regexp.MustCompile("`(GD_[A-Za-z0-9_<>\\[\\]]+)`")
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "|") {
			continue
		}
		for _, m := range tick.FindAllStringSubmatch(line, -1) {
			pat := regexp.QuoteMeta(m[1])
			pat = strings.ReplaceAll(pat, `\[_FILE\]`, `(_FILE)?`)
			pat = regexp.MustCompile(`<[A-Z]+>`).ReplaceAllString(pat, `[A-Z0-9_]+`)
			out = append(out, regexp.MustCompile("^"+pat+"$"))
		}
	}
	if len(out) < 20 {
		t.Fatalf("README.md's configuration table: only %d variables found", len(out))
	}
	return out
}

func TestEveryGDVariableIsDocumented(t *testing.T) {
	table := configTable(t)
	nc := loadNATSConf(t)
	token := regexp.MustCompile(`\bGD_[A-Z0-9_]+`)
	where := map[string][]string{}
	for _, f := range ownFiles(t) {
		for _, m := range token.FindAllString(readFile(t, f), -1) {
			if strings.HasSuffix(m, "_") { // GD_*, GD_NATS_HASH_<USER>: a family, not a name
				continue
			}
			if !slices.Contains(where[m], f) {
				where[m] = append(where[m], f)
			}
		}
	}
	if len(where) < 10 {
		t.Fatalf("found only %d GD_* names in deploy/", len(where))
	}
	names := make([]string, 0, len(where))
	for n := range where {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if slices.Contains(nc.Vars, n) { // read by nats-server from nats.conf, not by gravedancer
			continue
		}
		if !slices.ContainsFunc(table, func(re *regexp.Regexp) bool { return re.MatchString(n) }) {
			t.Errorf("%s (used in %s) is not in README.md's configuration table", n, strings.Join(where[n], ", "))
		}
	}
}

// No password in any deployment file: a *PASSWORD variable is only ever set
// from a variable or a systemd specifier, and passwords travel as *_FILE.
func TestNoPasswordLiterals(t *testing.T) {
	re := regexp.MustCompile(`\b([A-Z][A-Z0-9_]*PASSWORD)["']?\s*[:=]\s*["']?([^\s"'#]*)`)
	for _, f := range ownFiles(t) {
		for i, line := range strings.Split(readFile(t, f), "\n") {
			for _, m := range re.FindAllStringSubmatch(line, -1) {
				if v := m[2]; v != "" && !strings.HasPrefix(v, "$") && !strings.HasPrefix(v, "%") {
					t.Errorf("%s:%d: %s is given a literal value; use %s_FILE", f, i+1, m[1], m[1])
				}
			}
		}
	}
}

// Addresses in examples are loopback, wildcard or RFC 5737 documentation
// addresses, never someone's real network.
func TestOnlyDocumentationAddresses(t *testing.T) {
	re := regexp.MustCompile(`\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b`)
	docNets := []string{"127.0.0.0/8", "0.0.0.0/32", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"}
	for _, f := range ownFiles(t) {
		for i, line := range strings.Split(readFile(t, f), "\n") {
			for _, m := range re.FindAllString(line, -1) {
				ip := net.ParseIP(m)
				if ip == nil {
					continue
				}
				ok := slices.ContainsFunc(docNets, func(c string) bool {
					_, n, _ := net.ParseCIDR(c)
					return n.Contains(ip)
				})
				if !ok {
					t.Errorf("%s:%d: %s is not loopback or an RFC 5737 documentation address", f, i+1, m)
				}
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Dockerfile.

// goImports walks the module's import graph from cmd/gravedancer and returns
// the top-level directories of every package it builds from.
func goImports(t *testing.T) []string {
	t.Helper()
	module := regexp.MustCompile(`(?m)^module\s+(\S+)`).FindStringSubmatch(readFile(t, filepath.Join(repoRoot, "go.mod")))[1]
	seen := map[string]bool{}
	todo := []string{module + "/cmd/gravedancer"}
	fset := token.NewFileSet()
	for len(todo) > 0 {
		pkg := todo[0]
		todo = todo[1:]
		if seen[pkg] {
			continue
		}
		seen[pkg] = true
		dir := filepath.Join(repoRoot, strings.TrimPrefix(pkg, module+"/"))
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range af.Imports {
				p, _ := strconv.Unquote(im.Path.Value)
				if strings.HasPrefix(p, module+"/") {
					todo = append(todo, p)
				}
			}
		}
	}
	var tops []string
	for pkg := range seen {
		top := strings.SplitN(strings.TrimPrefix(pkg, module+"/"), "/", 2)[0]
		if !slices.Contains(tops, top) {
			tops = append(tops, top)
		}
	}
	sort.Strings(tops)
	return tops
}

func TestDockerfile(t *testing.T) {
	df := readFile(t, "Dockerfile")
	var copied []string
	for _, line := range strings.Split(df, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "COPY" && !strings.HasPrefix(f[1], "--from") {
			for _, src := range f[1 : len(f)-1] {
				copied = append(copied, strings.TrimSuffix(strings.TrimPrefix(src, "./"), "/"))
			}
		}
	}
	ignore := readFile(t, "Dockerfile.dockerignore")
	for _, need := range append([]string{"go.mod", "go.sum"}, goImports(t)...) {
		if !slices.Contains(copied, need) {
			t.Errorf("Dockerfile: the build needs %s but no COPY brings it (COPY sources: %v)", need, copied)
		}
		if !strings.Contains(ignore, "!"+need) {
			t.Errorf("Dockerfile.dockerignore: %s is not let through (!%s)", need, need)
		}
	}
	goVer := regexp.MustCompile(`(?m)^go\s+(\d+\.\d+)`).FindStringSubmatch(readFile(t, filepath.Join(repoRoot, "go.mod")))[1]
	if !strings.Contains(df, "FROM golang:"+goVer+"-") {
		t.Errorf("Dockerfile: build stage is not golang:%s-* (go.mod says go %s)", goVer, goVer)
	}
	for _, want := range []string{"mariadb-client", "openssh-client", "curl", "USER 10001"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile: no %q", want)
		}
	}
}

// ---------------------------------------------------------------------------
// compose.yaml.

// strList is a compose command: a list, or a string split on spaces.
type strList []string

func (s *strList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = strings.Fields(n.Value)
		return nil
	}
	var l []string
	err := n.Decode(&l)
	*s = l
	return err
}

// envMap is compose environment: a map, or a list of NAME=value.
type envMap map[string]string

func (e *envMap) UnmarshalYAML(n *yaml.Node) error {
	*e = envMap{}
	if n.Kind == yaml.SequenceNode {
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		for _, kv := range l {
			k, v, _ := strings.Cut(kv, "=")
			(*e)[k] = v
		}
		return nil
	}
	m := map[string]string{}
	err := n.Decode(&m)
	for k, v := range m {
		(*e)[k] = v
	}
	return err
}

// secretRef is a service's secret: a name, or source and target.
type secretRef struct{ Source, Target string }

func (s *secretRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		s.Source = n.Value
		return nil
	}
	var l struct{ Source, Target string }
	err := n.Decode(&l)
	s.Source, s.Target = l.Source, l.Target
	return err
}

// path is where the secret appears in the container.
func (s secretRef) path() string {
	switch {
	case s.Target == "":
		return "/run/secrets/" + s.Source
	case strings.HasPrefix(s.Target, "/"):
		return s.Target
	}
	return "/run/secrets/" + s.Target
}

// volumeRef is a service's volume: "source:target[:mode]" or long form.
type volumeRef struct{ Type, Source, Target string }

func (v *volumeRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		parts := strings.Split(n.Value, ":")
		switch len(parts) {
		case 1:
			v.Type, v.Target = "volume", parts[0]
		default:
			v.Source, v.Target = parts[0], parts[1]
			v.Type = "volume"
			if strings.HasPrefix(v.Source, ".") || strings.HasPrefix(v.Source, "/") || strings.HasPrefix(v.Source, "~") {
				v.Type = "bind"
			}
		}
		return nil
	}
	var l struct{ Type, Source, Target string }
	err := n.Decode(&l)
	*v = volumeRef(l)
	return err
}

// composeBuild is a build: a context path, or context and dockerfile.
type composeBuild struct{ Context, Dockerfile string }

func (b *composeBuild) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		b.Context, b.Dockerfile = n.Value, "Dockerfile"
		return nil
	}
	var l struct{ Context, Dockerfile string }
	err := n.Decode(&l)
	*b = composeBuild(l)
	return err
}

// dependsOn is a service's depends_on: a list, or a map with conditions.
type dependsOn []string

func (d *dependsOn) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.SequenceNode {
		var l []string
		err := n.Decode(&l)
		*d = l
		return err
	}
	var m map[string]struct{ Condition string }
	err := n.Decode(&m)
	*d = nil
	for k := range m {
		*d = append(*d, k)
	}
	return err
}

type composeService struct {
	Image           string
	Build           *composeBuild
	Command         strList
	Entrypoint      strList
	Environment     envMap
	Secrets         []secretRef
	Volumes         []volumeRef
	Profiles        []string
	DependsOn       dependsOn `yaml:"depends_on"`
	StopGracePeriod string    `yaml:"stop_grace_period"`
	Healthcheck     struct {
		Test strList
	}
	Deploy struct {
		Replicas *int
	}
}

type composeFile struct {
	Services map[string]composeService
	Volumes  map[string]*yaml.Node
	Secrets  map[string]struct {
		File        string
		Environment string
	}
}

func (s composeService) isGravedancer() bool {
	return strings.HasPrefix(s.Image, "gravedancer") || (s.Image == "" && s.Build != nil)
}

func TestCompose(t *testing.T) {
	var cf composeFile
	docs := decodeAll(t, "compose.yaml")
	if len(docs) != 1 {
		t.Fatalf("compose.yaml: %d documents, want 1", len(docs))
	}
	if err := docs[0].Decode(&cf); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	if len(cf.Services) == 0 {
		t.Fatal("compose.yaml: no services")
	}
	known := binarySubcommands(t)
	nc := loadNATSConf(t)
	gitignore := readFile(t, ".gitignore")

	for name, sec := range cf.Secrets {
		if sec.File == "" {
			t.Errorf("secret %s: not a file secret", name)
			continue
		}
		if !strings.HasPrefix(sec.File, "./secrets/") || !strings.Contains(gitignore, "/secrets/") {
			t.Errorf("secret %s: file %s must live under ./secrets/, which deploy/.gitignore keeps out of git", name, sec.File)
		}
	}

	names := make([]string, 0, len(cf.Services))
	for n := range cf.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	covered := map[string]bool{}
	spools := map[string]bool{}
	for _, name := range names {
		svc := cf.Services[name]
		where := "service " + name
		if svc.Image == "" && svc.Build == nil {
			t.Errorf("%s: neither image nor build", where)
		}
		if b := svc.Build; b != nil {
			if b.Context == "" || b.Dockerfile == "" {
				t.Errorf("%s: build needs context and dockerfile", where)
			} else if _, err := os.Stat(filepath.Join(b.Context, b.Dockerfile)); err != nil {
				t.Errorf("%s: build: %v", where, err)
			}
		}
		if svc.isGravedancer() && len(svc.DependsOn) == 0 {
			t.Errorf("%s: depends on nothing; it needs NATS (and setup) first", where)
		}
		for _, d := range svc.DependsOn {
			if _, ok := cf.Services[d]; !ok {
				t.Errorf("%s: depends on unknown service %s", where, d)
			}
		}
		// Volumes: named ones declared, bind sources present, no host paths.
		targets := map[string]volumeRef{}
		for _, v := range svc.Volumes {
			targets[v.Target] = v
			switch v.Type {
			case "volume":
				if v.Source != "" {
					if _, ok := cf.Volumes[v.Source]; !ok {
						t.Errorf("%s: volume %s is not declared under volumes:", where, v.Source)
					}
				}
			case "bind":
				if !strings.HasPrefix(v.Source, ".") {
					t.Errorf("%s: bind mount of host path %s: use a path relative to deploy/", where, v.Source)
				} else if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s: bind mount: %v", where, err)
				}
			}
		}
		// Secrets: declared, and every *_FILE points at one of this service's.
		var secretPaths []string
		for _, s := range svc.Secrets {
			if _, ok := cf.Secrets[s.Source]; !ok {
				t.Errorf("%s: secret %s is not declared under secrets:", where, s.Source)
			}
			secretPaths = append(secretPaths, s.path())
		}
		for k, v := range svc.Environment {
			if strings.HasSuffix(k, "_FILE") && !slices.Contains(secretPaths, v) {
				t.Errorf("%s: %s=%s is not one of its secrets (%v)", where, k, v, secretPaths)
			}
		}

		if strings.HasPrefix(svc.Image, "nats") {
			var conf string
			var files []string
			for _, v := range svc.Volumes {
				files = append(files, v.Target)
				if v.Type == "bind" && filepath.Clean(v.Source) == filepath.Join(repoRoot, "nats.conf") {
					conf = v.Target
				}
			}
			files = append(files, secretPaths...)
			args := append(append([]string{}, svc.Entrypoint...), svc.Command...)
			if i := slices.Index(args, "-c"); i < 0 || i+1 >= len(args) || args[i+1] != conf {
				t.Errorf("%s: does not run nats-server -c %s", where, conf)
			}
			checkNATSServer(t, where, nc, conf, files, svc.Environment)
			continue
		}
		if !svc.isGravedancer() {
			continue
		}

		if len(svc.Entrypoint) > 0 {
			t.Errorf("%s: overrides the image's entrypoint (gravedancer)", where)
		}
		cmd, err := parseGD(svc.Command, known)
		if err != nil {
			t.Errorf("%s: command %v: %v", where, svc.Command, err)
			continue
		}
		for _, s := range cmd.Stages {
			covered[s] = true
		}
		// The NATS role: the user nats.conf has for this command, with
		// that user's password file.
		user := svc.Environment["GD_NATS_USER"]
		if want := cmd.expectedNATSUser(); user != want {
			t.Errorf("%s: GD_NATS_USER=%q, want %q for %s %v", where, user, want, cmd.Sub, cmd.Stages)
		}
		if _, ok := nc.Users[user]; !ok {
			t.Errorf("%s: NATS user %q is not in nats.conf", where, user)
		}
		pwFile := svc.Environment["GD_NATS_PASSWORD_FILE"]
		var pwSecret string
		for _, s := range svc.Secrets {
			if s.path() == pwFile {
				pwSecret = s.Source
			}
		}
		if got := path.Base(cf.Secrets[pwSecret].File); got != user+".password" {
			t.Errorf("%s: GD_NATS_PASSWORD_FILE is secret %q from %q, want gen-users.sh's %s.password", where, pwSecret, cf.Secrets[pwSecret].File, user)
		}
		if cmd.Sub != "setup" && svc.Environment["GD_NATS_SETUP"] != "false" {
			t.Errorf("%s: GD_NATS_SETUP must be false: only setup (admin) may create streams and consumers", where)
		}
		if svc.Environment["GD_NATS_URL"] == "" {
			t.Errorf("%s: no GD_NATS_URL", where)
		}
		if slices.Contains(cmd.Stages, "dump") && svc.Environment["GD_SOURCE_PASSWORD_FILE"] == "" {
			t.Errorf("%s: runs dump without GD_SOURCE_PASSWORD_FILE", where)
		}
		if slices.Contains(cmd.Stages, "restore") && svc.Environment["GD_RESTORE_PASSWORD_FILE"] == "" {
			t.Errorf("%s: runs restore without GD_RESTORE_PASSWORD_FILE", where)
		}
		if cmd.Sub == "trigger" && !slices.Contains(svc.Profiles, "manual") {
			t.Errorf("%s: a trigger service must be in profile manual, not started by `up`", where)
		}

		if cmd.Sub != "worker" && cmd.Sub != "run" {
			continue
		}
		v, ok := targets[spoolDir]
		if !ok || v.Type != "volume" || v.Source == "" {
			t.Errorf("%s: no named volume at %s", where, spoolDir)
		} else {
			spools[v.Source] = true
		}
		if cmd.Health == "" {
			t.Errorf("%s: no --health, so no healthcheck", where)
		} else {
			hc := strings.Join(svc.Healthcheck.Test, " ")
			if !strings.Contains(hc, "/readyz") || !strings.Contains(hc, ":"+strconv.Itoa(cmd.healthPort())+"/") {
				t.Errorf("%s: healthcheck %q does not ask /readyz on the --health port %d", where, hc, cmd.healthPort())
			}
		}
		stop := 10 * time.Second // compose's default
		if svc.StopGracePeriod != "" {
			if stop, err = time.ParseDuration(svc.StopGracePeriod); err != nil {
				t.Errorf("%s: stop_grace_period: %v", where, err)
			}
		}
		if stop <= cmd.Grace {
			t.Errorf("%s: stop_grace_period %s must exceed --grace %s", where, stop, cmd.Grace)
		}
	}
	stagesCovered(t, "compose.yaml", covered)
	if len(spools) != 1 {
		t.Errorf("compose.yaml: workers must share one spool volume, they use %v", spools)
	}
}

// ---------------------------------------------------------------------------
// Kubernetes.

type keyPath struct{ Key, Path string }

type k8sVolume struct {
	Name                  string
	PersistentVolumeClaim *struct {
		ClaimName string `yaml:"claimName"`
	} `yaml:"persistentVolumeClaim"`
	EmptyDir  *yaml.Node             `yaml:"emptyDir"`
	ConfigMap *struct{ Name string } `yaml:"configMap"`
	Secret    *struct {
		SecretName string `yaml:"secretName"`
		Items      []keyPath
	}
	Projected *struct {
		Sources []struct {
			Secret *struct {
				Name  string
				Items []keyPath
			}
		}
	}
}

// files maps each file the volume shows to "secret/key".
func (v k8sVolume) files(secrets map[string][]string) map[string]string {
	out := map[string]string{}
	add := func(secret string, items []keyPath) {
		if len(items) == 0 {
			for _, k := range secrets[secret] {
				out[k] = secret + "/" + k
			}
		}
		for _, it := range items {
			out[it.Path] = secret + "/" + it.Key
		}
	}
	if v.Secret != nil {
		add(v.Secret.SecretName, v.Secret.Items)
	}
	if v.Projected != nil {
		for _, s := range v.Projected.Sources {
			if s.Secret != nil {
				add(s.Secret.Name, s.Secret.Items)
			}
		}
	}
	return out
}

// intOrString is a probe port: a number or a container port's name.
type intOrString struct {
	Int int
	Str string
}

func (p *intOrString) UnmarshalYAML(n *yaml.Node) error {
	if i, err := strconv.Atoi(n.Value); err == nil {
		p.Int = i
		return nil
	}
	p.Str = n.Value
	return nil
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string
		Port intOrString
	} `yaml:"httpGet"`
	TCPSocket *struct{ Port intOrString } `yaml:"tcpSocket"`
}

type k8sContainer struct {
	Name    string
	Image   string
	Command []string
	Args    []string
	Ports   []struct {
		Name          string
		ContainerPort int `yaml:"containerPort"`
	}
	Env []struct {
		Name      string
		Value     string
		ValueFrom *yaml.Node `yaml:"valueFrom"`
	}
	EnvFrom []struct {
		ConfigMapRef *struct{ Name string } `yaml:"configMapRef"`
		SecretRef    *struct{ Name string } `yaml:"secretRef"`
	} `yaml:"envFrom"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	Resources      struct {
		Requests map[string]string
		Limits   map[string]string
	}
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
		Capabilities             struct{ Drop []string }
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string
		MountPath string `yaml:"mountPath"`
		SubPath   string `yaml:"subPath"`
	} `yaml:"volumeMounts"`
}

// port resolves a probe port to a number.
func (c k8sContainer) port(p intOrString) int {
	if p.Str == "" {
		return p.Int
	}
	for _, cp := range c.Ports {
		if cp.Name == p.Str {
			return cp.ContainerPort
		}
	}
	return -1
}

func (c k8sContainer) env(name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

type k8sPodSpec struct {
	TerminationGracePeriodSeconds *int   `yaml:"terminationGracePeriodSeconds"`
	RestartPolicy                 string `yaml:"restartPolicy"`
	SecurityContext               struct {
		RunAsNonRoot *bool `yaml:"runAsNonRoot"`
	} `yaml:"securityContext"`
	Containers []k8sContainer
	Volumes    []k8sVolume
}

type k8sPodTemplate struct {
	Metadata struct{ Labels map[string]string }
	Spec     k8sPodSpec
}

type k8sObject struct {
	File       string `yaml:"-"`
	APIVersion string `yaml:"apiVersion"`
	Kind       string
	Metadata   struct {
		Name      string
		Namespace string
		Labels    map[string]string
	}
	Data       map[string]string
	StringData map[string]string `yaml:"stringData"`
	Spec       yaml.Node
}

func (o k8sObject) String() string { return o.File + ": " + o.Kind + "/" + o.Metadata.Name }

type k8sSet struct {
	objects []k8sObject
	secrets map[string][]string // example Secret -> keys
}

func loadK8s(t *testing.T) k8sSet {
	t.Helper()
	set := k8sSet{secrets: map[string][]string{}}
	for _, f := range yamlFiles(t, "kubernetes") {
		base := filepath.Base(f)
		if base == "kustomization.yaml" || strings.HasSuffix(base, "values.yaml") {
			continue
		}
		for _, d := range decodeAll(t, f) {
			var o k8sObject
			if err := d.Decode(&o); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			o.File = f
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Errorf("%s: a document without apiVersion, kind or metadata.name", f)
				continue
			}
			if o.Metadata.Namespace != "" && o.Metadata.Namespace != "gravedancer" {
				t.Errorf("%s: namespace %q; kustomization sets gravedancer", o, o.Metadata.Namespace)
			}
			if o.Kind == "Secret" {
				if !strings.HasSuffix(base, ".example.yaml") {
					t.Errorf("%s: a Secret outside an *.example.yaml file", o)
				}
				for k, v := range o.StringData {
					if v != "CHANGE-ME" {
						t.Errorf("%s: %s is not the placeholder CHANGE-ME", o, k)
					}
					set.secrets[o.Metadata.Name] = append(set.secrets[o.Metadata.Name], k)
				}
				if len(o.Data) > 0 {
					t.Errorf("%s: example Secrets use stringData placeholders, not data", o)
				}
			}
			set.objects = append(set.objects, o)
		}
	}
	return set
}

func (s k8sSet) find(kind, name string) *k8sObject {
	for i, o := range s.objects {
		if o.Kind == kind && o.Metadata.Name == name {
			return &s.objects[i]
		}
	}
	return nil
}

// podTemplate returns the pod template of a workload, nil for other kinds.
func podTemplate(t *testing.T, o k8sObject) (*k8sPodTemplate, map[string]string) {
	t.Helper()
	var spec struct {
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		}
		Template    k8sPodTemplate
		JobTemplate struct {
			Spec struct{ Template k8sPodTemplate }
		} `yaml:"jobTemplate"`
		ConcurrencyPolicy string `yaml:"concurrencyPolicy"`
		Schedule          string
	}
	switch o.Kind {
	case "Deployment", "StatefulSet", "Job", "CronJob":
	default:
		return nil, nil
	}
	if err := o.Spec.Decode(&spec); err != nil {
		t.Fatalf("%s: %v", o, err)
	}
	if o.Kind == "CronJob" {
		if spec.ConcurrencyPolicy != "Forbid" {
			t.Errorf("%s: concurrencyPolicy %q, want Forbid", o, spec.ConcurrencyPolicy)
		}
		if len(strings.Fields(spec.Schedule)) != 5 {
			t.Errorf("%s: schedule %q is not 5 cron fields", o, spec.Schedule)
		}
		return &spec.JobTemplate.Spec.Template, nil
	}
	return &spec.Template, spec.Selector.MatchLabels
}

func TestKubernetes(t *testing.T) {
	set := loadK8s(t)
	known := binarySubcommands(t)
	nc := loadNATSConf(t)
	if len(set.secrets) == 0 {
		t.Fatal("kubernetes/secrets.example.yaml: no example Secret")
	}
	cm := set.find("ConfigMap", "gravedancer-config")
	if cm == nil {
		t.Fatal("no ConfigMap gravedancer-config")
	}
	if cm.Data["GD_NATS_SETUP"] != "false" {
		t.Errorf("%s: GD_NATS_SETUP must be \"false\": only the setup Job (admin) creates streams and consumers", cm)
	}
	if cm.Data["GD_NATS_URL"] == "" {
		t.Errorf("%s: no GD_NATS_URL", cm)
	}
	covered := map[string]bool{}
	var workloads int
	for _, o := range set.objects {
		tmpl, selector := podTemplate(t, o)
		if tmpl == nil {
			continue
		}
		workloads++
		if o.Kind == "Deployment" || o.Kind == "StatefulSet" {
			if len(selector) == 0 {
				t.Errorf("%s: empty selector", o)
			}
			for k, v := range selector {
				if tmpl.Metadata.Labels[k] != v {
					t.Errorf("%s: selector %s=%s does not match the template's labels %v", o, k, v, tmpl.Metadata.Labels)
				}
			}
		}
		pod := tmpl.Spec
		if pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
			t.Errorf("%s: pod securityContext.runAsNonRoot is not true", o)
		}
		volumes := map[string]k8sVolume{}
		for _, v := range pod.Volumes {
			volumes[v.Name] = v
			if v.PersistentVolumeClaim != nil {
				pvc := set.find("PersistentVolumeClaim", v.PersistentVolumeClaim.ClaimName)
				if pvc == nil && o.Kind != "StatefulSet" {
					t.Errorf("%s: volume %s claims unknown PVC %s", o, v.Name, v.PersistentVolumeClaim.ClaimName)
				}
			}
			if v.ConfigMap != nil && o.Kind != "StatefulSet" && set.find("ConfigMap", v.ConfigMap.Name) == nil {
				t.Errorf("%s: volume %s uses unknown ConfigMap %s", o, v.Name, v.ConfigMap.Name)
			}
			for _, secret := range secretNames(v) {
				if _, ok := set.secrets[secret]; !ok && !strings.HasPrefix(secret, "gravedancer-nats-users") {
					t.Errorf("%s: volume %s uses Secret %s, which secrets.example.yaml does not show", o, v.Name, secret)
				}
			}
		}
		for _, c := range pod.Containers {
			where := fmt.Sprintf("%s container %s", o, c.Name)
			checkContainerHardening(t, where, c)
			mounts := map[string]k8sVolume{}
			for _, m := range c.VolumeMounts {
				v, ok := volumes[m.Name]
				if !ok && o.Kind != "StatefulSet" {
					t.Errorf("%s: mounts unknown volume %s", where, m.Name)
				}
				mounts[m.MountPath] = v
			}
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil && set.find("ConfigMap", ef.ConfigMapRef.Name) == nil {
					t.Errorf("%s: envFrom unknown ConfigMap %s", where, ef.ConfigMapRef.Name)
				}
				if ef.SecretRef != nil {
					t.Errorf("%s: envFrom Secret %s puts passwords into the environment; mount it as files", where, ef.SecretRef.Name)
				}
			}
			// Every *_FILE is a file a mounted Secret provides.
			for _, e := range c.Env {
				if e.ValueFrom != nil && strings.Contains(strings.ToLower(e.Name), "password") {
					t.Errorf("%s: %s from valueFrom: pass passwords as files", where, e.Name)
				}
				if !strings.HasSuffix(e.Name, "_FILE") {
					continue
				}
				v, ok := mounts[path.Dir(e.Value)]
				if !ok {
					t.Errorf("%s: %s=%s: nothing is mounted at %s", where, e.Name, e.Value, path.Dir(e.Value))
					continue
				}
				src, ok := v.files(set.secrets)[path.Base(e.Value)]
				if !ok {
					t.Errorf("%s: %s=%s: volume %s has no file %s", where, e.Name, e.Value, v.Name, path.Base(e.Value))
					continue
				}
				secret, key, _ := strings.Cut(src, "/")
				if !slices.Contains(set.secrets[secret], key) {
					t.Errorf("%s: %s reads key %s of Secret %s, which secrets.example.yaml does not have", where, e.Name, key, secret)
				}
			}

			if strings.HasPrefix(c.Image, "nats") {
				checkK8sNATS(t, where, nc, c)
				continue
			}
			if !strings.HasPrefix(c.Image, "gravedancer") {
				t.Errorf("%s: unexpected image %s", where, c.Image)
				continue
			}
			args := c.Args
			if len(c.Command) > 0 {
				if c.Command[0] != "/usr/local/bin/gravedancer" {
					t.Errorf("%s: command %v does not run gravedancer", where, c.Command)
				}
				args = append(c.Command[1:], c.Args...)
			}
			cmd, err := parseGD(args, known)
			if err != nil {
				t.Errorf("%s: args %v: %v", where, args, err)
				continue
			}
			for _, s := range cmd.Stages {
				covered[s] = true
			}
			if want := map[string]string{"worker": "Deployment", "run": "Deployment", "setup": "Job", "trigger": "CronJob"}[cmd.Sub]; want != o.Kind {
				t.Errorf("%s: %s runs as a %s, want a %s", where, cmd.Sub, o.Kind, want)
			}
			user, _ := c.env("GD_NATS_USER")
			if want := cmd.expectedNATSUser(); user != want {
				t.Errorf("%s: GD_NATS_USER=%q, want %q", where, user, want)
			}
			if _, ok := nc.Users[user]; !ok {
				t.Errorf("%s: NATS user %q is not in nats.conf", where, user)
			}
			pw, _ := c.env("GD_NATS_PASSWORD_FILE")
			if src := mounts[path.Dir(pw)].files(set.secrets)[path.Base(pw)]; src != "gravedancer-nats/"+user+".password" {
				t.Errorf("%s: GD_NATS_PASSWORD_FILE comes from %q, want gravedancer-nats/%s.password", where, src, user)
			}
			if slices.Contains(cmd.Stages, "dump") {
				if _, ok := c.env("GD_SOURCE_PASSWORD_FILE"); !ok {
					t.Errorf("%s: runs dump without GD_SOURCE_PASSWORD_FILE", where)
				}
			}
			if slices.Contains(cmd.Stages, "restore") {
				if _, ok := c.env("GD_RESTORE_PASSWORD_FILE"); !ok {
					t.Errorf("%s: runs restore without GD_RESTORE_PASSWORD_FILE", where)
				}
			}
			if cmd.Sub != "worker" && cmd.Sub != "run" {
				continue
			}
			// Writable state on a read-only root, the shared spool.
			if v, ok := mounts[stateDir]; !ok || (v.EmptyDir == nil && v.PersistentVolumeClaim == nil) {
				t.Errorf("%s: the root is read-only, so %s needs an emptyDir or a volume", where, stateDir)
			}
			if v, ok := mounts[spoolDir]; !ok || v.PersistentVolumeClaim == nil {
				t.Errorf("%s: no PVC at %s", where, spoolDir)
			} else {
				checkSpoolPVC(t, where, set, v.PersistentVolumeClaim.ClaimName)
			}
			// Probes on the --health port, reachable from the kubelet.
			if cmd.Health == "" {
				t.Errorf("%s: no --health: the probes have nothing to ask", where)
				continue
			}
			if host, _, _ := net.SplitHostPort(cmd.Health); host != "0.0.0.0" && host != "" && host != "::" {
				t.Errorf("%s: --health %s is not reachable by the kubelet's probes; listen on 0.0.0.0", where, cmd.Health)
			}
			for _, p := range []struct {
				name, path string
				probe      *k8sProbe
			}{{"readinessProbe", "/readyz", c.ReadinessProbe}, {"livenessProbe", "/healthz", c.LivenessProbe}} {
				switch {
				case p.probe == nil || p.probe.HTTPGet == nil:
					t.Errorf("%s: no %s httpGet", where, p.name)
				case p.probe.HTTPGet.Path != p.path:
					t.Errorf("%s: %s asks %s, want %s", where, p.name, p.probe.HTTPGet.Path, p.path)
				case c.port(p.probe.HTTPGet.Port) != cmd.healthPort():
					t.Errorf("%s: %s on port %v, but --health listens on %d", where, p.name, p.probe.HTTPGet.Port, cmd.healthPort())
				}
			}
			grace := 30 * time.Second // Kubernetes' default
			if pod.TerminationGracePeriodSeconds != nil {
				grace = time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
			}
			if grace <= cmd.Grace {
				t.Errorf("%s: terminationGracePeriodSeconds %s must exceed --grace %s", where, grace, cmd.Grace)
			}
		}
	}
	if workloads < 4 {
		t.Errorf("only %d workloads found", workloads)
	}
	stagesCovered(t, "kubernetes/", covered)
}

func secretNames(v k8sVolume) []string {
	var out []string
	if v.Secret != nil {
		out = append(out, v.Secret.SecretName)
	}
	if v.Projected != nil {
		for _, s := range v.Projected.Sources {
			if s.Secret != nil {
				out = append(out, s.Secret.Name)
			}
		}
	}
	return out
}

func checkContainerHardening(t *testing.T, where string, c k8sContainer) {
	t.Helper()
	sc := c.SecurityContext
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: readOnlyRootFilesystem is not true", where)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation is not false", where)
	}
	if !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("%s: capabilities do not drop ALL", where)
	}
	for _, r := range []string{"cpu", "memory"} {
		if c.Resources.Requests[r] == "" || c.Resources.Limits[r] == "" {
			t.Errorf("%s: no %s request and limit", where, r)
		}
	}
}

func checkSpoolPVC(t *testing.T, where string, set k8sSet, name string) {
	t.Helper()
	pvc := set.find("PersistentVolumeClaim", name)
	if pvc == nil {
		t.Errorf("%s: no PVC %s", where, name)
		return
	}
	var spec struct {
		AccessModes []string `yaml:"accessModes"`
	}
	if err := pvc.Spec.Decode(&spec); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(spec.AccessModes, "ReadWriteMany") {
		t.Errorf("%s: the spool %s is shared by pods on any node: it must be ReadWriteMany, not %v", where, pvc, spec.AccessModes)
	}
}

// checkK8sNATS checks the lab NATS server runs the repository's nats.conf.
func checkK8sNATS(t *testing.T, where string, nc natsConf, c k8sContainer) {
	t.Helper()
	var conf string
	var files []string
	for _, m := range c.VolumeMounts {
		files = append(files, m.MountPath)
		if m.SubPath == "nats.conf" {
			conf = m.MountPath
		}
	}
	args := append(append([]string{}, c.Command...), c.Args...)
	if i := slices.Index(args, "-c"); i < 0 || i+1 >= len(args) || args[i+1] != conf {
		t.Errorf("%s: does not run nats-server -c %s", where, conf)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	checkNATSServer(t, where, nc, conf, files, env)
}

// Each kustomization lists exactly the manifests beside it: not itself, not
// the *.example.yaml files (placeholders, never applied) and not Helm
// values.
func TestKustomizations(t *testing.T) {
	var found int
	for _, f := range yamlFiles(t, "kubernetes") {
		if filepath.Base(f) != "kustomization.yaml" {
			continue
		}
		found++
		var k struct {
			Kind      string
			Namespace string
			Resources []string
		}
		if err := decodeAll(t, f)[0].Decode(&k); err != nil {
			t.Fatal(err)
		}
		if k.Kind != "Kustomization" || k.Namespace != "gravedancer" {
			t.Errorf("%s: kind %q namespace %q", f, k.Kind, k.Namespace)
		}
		dir := filepath.Dir(f)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || !strings.HasSuffix(n, ".yaml") || n == "kustomization.yaml" ||
				strings.HasSuffix(n, ".example.yaml") || strings.HasSuffix(n, "values.yaml") {
				continue
			}
			want = append(want, n)
		}
		got := slices.Clone(k.Resources)
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: resources %v, want the manifests beside it: %v", f, got, want)
		}
	}
	if found == 0 {
		t.Fatal("no kustomization.yaml")
	}
}

func TestHelmValues(t *testing.T) {
	var v struct {
		Config struct {
			Jetstream struct {
				Enabled   bool
				FileStore struct {
					Enabled bool
					PVC     struct{ Size string } `yaml:"pvc"`
				} `yaml:"fileStore"`
			}
		}
	}
	if err := decodeAll(t, filepath.Join("kubernetes", "nats", "helm-values.yaml"))[0].Decode(&v); err != nil {
		t.Fatal(err)
	}
	js := v.Config.Jetstream
	if !js.Enabled || !js.FileStore.Enabled || js.FileStore.PVC.Size == "" {
		t.Errorf("helm-values.yaml: JetStream with a file store on a PVC of a given size, got %+v", js)
	}
}

// ---------------------------------------------------------------------------
// systemd.

type unitFile struct {
	name     string
	sections map[string][][2]string
}

func (u unitFile) all(section, key string) []string {
	var out []string
	for _, kv := range u.sections[section] {
		if kv[0] == key {
			out = append(out, kv[1])
		}
	}
	return out
}

// last is a setting's effective value (the last assignment wins).
func (u unitFile) last(section, key string) string {
	v := u.all(section, key)
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func parseUnit(t *testing.T, name string) unitFile {
	t.Helper()
	u := unitFile{name: name, sections: map[string][][2]string{}}
	sc := bufio.NewScanner(strings.NewReader(readFile(t, name)))
	var section, cont string
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cont != "" {
			line = cont + " " + line
			cont = ""
		}
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cont = strings.TrimSuffix(line, `\`)
			continue
		}
		if line[0] == '[' {
			section = strings.Trim(line, "[]")
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			t.Errorf("%s:%d: not key=value in a section: %q", name, n, line)
			continue
		}
		u.sections[section] = append(u.sections[section], [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	return u
}

// merge returns u with a drop-in's settings appended, as systemd applies it.
func (u unitFile) merge(d unitFile) unitFile {
	out := unitFile{name: u.name + "+" + filepath.Base(d.name), sections: map[string][][2]string{}}
	for s, kvs := range u.sections {
		out.sections[s] = slices.Clone(kvs)
	}
	for s, kvs := range d.sections {
		out.sections[s] = append(out.sections[s], kvs...)
	}
	return out
}

// specifiers expands %i and %I for an instance.
func (u unitFile) instance(inst string) unitFile {
	out := unitFile{name: strings.Replace(u.name, "@.", "@"+inst+".", 1), sections: map[string][][2]string{}}
	r := strings.NewReplacer("%i", inst, "%I", inst)
	for s, kvs := range u.sections {
		for _, kv := range kvs {
			out.sections[s] = append(out.sections[s], [2]string{kv[0], r.Replace(kv[1])})
		}
	}
	return out
}

// environment is the unit's Environment= assignments (later ones win).
func (u unitFile) environment() map[string]string {
	env := map[string]string{}
	for _, line := range u.all("Service", "Environment") {
		for _, kv := range strings.Fields(line) {
			k, v, _ := strings.Cut(strings.Trim(kv, `"`), "=")
			env[k] = v
		}
	}
	return env
}

// services returns every service unit to lint, template instances with
// their drop-ins merged.
func systemdServices(t *testing.T) []unitFile {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("systemd", "*.service"))
	var out []unitFile
	for _, f := range files {
		u := parseUnit(t, f)
		if !strings.HasSuffix(f, "@.service") {
			dropins, _ := filepath.Glob(f + ".d/*.conf")
			for _, d := range dropins {
				u = u.merge(parseUnit(t, d))
			}
			out = append(out, u)
			continue
		}
		// A stage template: one instance per stage, with its drop-ins.
		for _, stage := range app.AllStages() {
			iu := u.instance(stage)
			dropins, _ := filepath.Glob(filepath.Join("systemd", strings.TrimSuffix(filepath.Base(f), "@.service")+"@"+stage+".service.d", "*.conf"))
			for _, d := range dropins {
				iu = iu.merge(parseUnit(t, d).instance(stage))
			}
			out = append(out, iu)
		}
	}
	if len(out) < 5 {
		t.Fatalf("systemd: only %d services", len(out))
	}
	return out
}

// credentialSources maps each LoadCredential ID to its host path.
func (u unitFile) credentials() map[string]string {
	out := map[string]string{}
	for _, lc := range u.all("Service", "LoadCredential") {
		id, p, _ := strings.Cut(lc, ":")
		out[id] = p
	}
	return out
}

func TestSystemdUnitsLint(t *testing.T) {
	known := binarySubcommands(t)
	nc := loadNATSConf(t)
	hardening := map[string]string{
		"User": "gravedancer", "Group": "gravedancer", "ProtectSystem": "strict", "NoNewPrivileges": "yes",
		"PrivateTmp": "yes", "ProtectHome": "yes", "PrivateDevices": "yes", "ProtectKernelTunables": "yes",
		"ProtectControlGroups": "yes", "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
		"LockPersonality": "yes", "MemoryDenyWriteExecute": "yes", "RestrictRealtime": "yes",
		"SystemCallArchitectures": "native",
	}
	for _, u := range systemdServices(t) {
		where := u.name
		for k, want := range hardening {
			if got := u.last("Service", k); got != want {
				t.Errorf("%s: %s=%q, want %q", where, k, got, want)
			}
		}
		if !slices.Contains(u.all("Service", "EnvironmentFile"), "/etc/gravedancer/env") {
			t.Errorf("%s: no EnvironmentFile=/etc/gravedancer/env", where)
		}
		execs := u.all("Service", "ExecStart")
		if len(execs) != 1 {
			t.Errorf("%s: %d ExecStart lines, want 1", where, len(execs))
			continue
		}
		env := u.environment()
		// ${VAR} in ExecStart needs a default, or a missing per-instance file
		// leaves an empty argument the flag parser refuses.
		argv := strings.Fields(execs[0])
		for i, a := range argv {
			for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`).FindAllStringSubmatch(a, -1) {
				if _, ok := env[m[1]]; !ok {
					t.Errorf("%s: ExecStart uses ${%s} without an Environment= default", where, m[1])
				}
				argv[i] = strings.ReplaceAll(argv[i], m[0], env[m[1]])
			}
		}
		if argv[0] != "/usr/local/bin/gravedancer" {
			t.Errorf("%s: ExecStart runs %s, not /usr/local/bin/gravedancer", where, argv[0])
			continue
		}
		cmd, err := parseGD(argv[1:], known)
		if err != nil {
			t.Errorf("%s: ExecStart %v: %v", where, argv, err)
			continue
		}
		// Credentials: every %d/ID an Environment= names is loaded, and
		// every loaded credential is used.
		creds := u.credentials()
		used := map[string]bool{}
		for k, v := range env {
			if id, ok := strings.CutPrefix(v, "%d/"); ok {
				used[id] = true
				if _, ok := creds[id]; !ok {
					t.Errorf("%s: %s=%s but no LoadCredential=%s:…", where, k, v, id)
				}
			} else if strings.HasSuffix(k, "_FILE") && (strings.Contains(k, "PASSWORD") || strings.Contains(k, "IDENTITY")) {
				t.Errorf("%s: %s=%s reads a secret file directly; pass it as a credential (%%d/…)", where, k, v)
			}
		}
		for id := range creds {
			if !used[id] {
				t.Errorf("%s: LoadCredential %s is not used by any Environment=", where, id)
			}
		}
		if slices.Contains(cmd.Stages, "dump") && env["GD_SOURCE_PASSWORD_FILE"] == "" {
			t.Errorf("%s: runs dump without GD_SOURCE_PASSWORD_FILE", where)
		}
		if slices.Contains(cmd.Stages, "restore") && env["GD_RESTORE_PASSWORD_FILE"] == "" {
			t.Errorf("%s: runs restore without GD_RESTORE_PASSWORD_FILE", where)
		}
		// The age private keys: on every unit that restores (sealed backups
		// are the default), on no other.
		if restores := slices.Contains(cmd.Stages, "restore"); restores != (env["GD_DECRYPT_IDENTITY_FILE"] != "") {
			t.Errorf("%s: restores=%v but GD_DECRYPT_IDENTITY_FILE=%q: only restoring units hold the keys, all of them",
				where, restores, env["GD_DECRYPT_IDENTITY_FILE"])
		}
		// The NATS role.
		if cmd.Sub == "backup" {
			unset := strings.Fields(strings.Join(u.all("Service", "UnsetEnvironment"), " "))
			for _, v := range []string{"GD_NATS_URL", "GD_NATS_USER", "GD_NATS_PASSWORD_FILE"} {
				if !slices.Contains(unset, v) {
					t.Errorf("%s: the one-shot backup embeds its JetStream; UnsetEnvironment must drop %s", where, v)
				}
			}
			if _, ok := env["GD_NATS_SETUP"]; ok {
				t.Errorf("%s: the embedded JetStream needs GD_NATS_SETUP at its default (true)", where)
			}
		} else {
			user := env["GD_NATS_USER"]
			if want := cmd.expectedNATSUser(); user != want {
				t.Errorf("%s: GD_NATS_USER=%q, want %q", where, user, want)
			}
			if _, ok := nc.Users[user]; !ok {
				t.Errorf("%s: NATS user %q is not in nats.conf", where, user)
			}
			if id, _ := strings.CutPrefix(env["GD_NATS_PASSWORD_FILE"], "%d/"); path.Base(creds[id]) != user+".password" {
				t.Errorf("%s: the NATS password credential comes from %q, want gen-users.sh's %s.password", where, creds[id], user)
			}
			if cmd.Sub != "setup" && env["GD_NATS_SETUP"] != "false" {
				t.Errorf("%s: GD_NATS_SETUP must be false: only setup (admin) creates streams and consumers", where)
			}
		}
		if cmd.Sub == "worker" || cmd.Sub == "run" || cmd.Sub == "backup" {
			if got := u.last("Service", "KillMode"); got != "mixed" {
				t.Errorf("%s: KillMode=%q, want mixed: gravedancer stops its own children, within --grace", where, got)
			}
			rw := strings.Fields(strings.Join(u.all("Service", "ReadWritePaths"), " "))
			for _, p := range []string{stateDir, spoolDir} {
				if !slices.Contains(rw, p) {
					t.Errorf("%s: ReadWritePaths lacks %s", where, p)
				}
			}
			if u.last("Service", "StateDirectory") != "gravedancer" {
				t.Errorf("%s: no StateDirectory=gravedancer", where)
			}
			if !strings.Contains(strings.Join(u.all("Unit", "RequiresMountsFor"), " "), spoolDir) {
				t.Errorf("%s: no RequiresMountsFor=%s: a worker could write into the empty mount point", where, spoolDir)
			}
		}
		if cmd.Sub == "worker" || cmd.Sub == "run" {
			stop, err := parseDuration(u.last("Service", "TimeoutStopSec"))
			if err != nil || stop <= cmd.Grace {
				t.Errorf("%s: TimeoutStopSec=%q must exceed --grace %s", where, u.last("Service", "TimeoutStopSec"), cmd.Grace)
			}
			if u.last("Service", "Restart") != "on-failure" {
				t.Errorf("%s: Restart is not on-failure", where)
			}
		}
	}
}

func TestSystemdTimers(t *testing.T) {
	timers, _ := filepath.Glob(filepath.Join("systemd", "*.timer"))
	if len(timers) < 2 {
		t.Fatalf("timers: %v", timers)
	}
	for _, f := range timers {
		u := parseUnit(t, f)
		if u.last("Timer", "OnCalendar") == "" {
			t.Errorf("%s: no OnCalendar", f)
		}
		svc := u.last("Timer", "Unit")
		if svc == "" {
			svc = strings.TrimSuffix(filepath.Base(f), ".timer") + ".service"
		}
		if _, err := os.Stat(filepath.Join("systemd", svc)); err != nil {
			t.Errorf("%s: activates %s: %v", f, svc, err)
		}
		if u.last("Install", "WantedBy") != "timers.target" {
			t.Errorf("%s: not WantedBy=timers.target", f)
		}
		if u.last("Timer", "Persistent") != "true" {
			t.Errorf("%s: not Persistent=true: a run missed while the host was down is lost", f)
		}
	}
}

// systemd-analyze verify, on copies of the units whose ExecStart points at a
// stub (verify insists the binary exists). Any message fails: unknown keys
// and bad values are only warnings to systemd-analyze.
func TestSystemdAnalyzeVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is not installed (Debian package systemd); CI must verify the units")
		}
		t.Skip("systemd-analyze not installed (apt-get install systemd)")
	}
	dir := t.TempDir()
	stub := filepath.Join(dir, "gravedancer")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var units []string
	err = filepath.WalkDir("systemd", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".example") {
			return err
		}
		rel, _ := filepath.Rel("systemd", p)
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b = bytes.ReplaceAll(b, []byte("/usr/local/bin/gravedancer"), []byte(stub))
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return err
		}
		switch {
		case strings.Contains(rel, string(filepath.Separator)): // a drop-in
		case strings.HasSuffix(rel, "@.service"):
			for _, s := range app.AllStages() {
				units = append(units, filepath.Join(dir, strings.Replace(rel, "@.", "@"+s+".", 1)))
			}
		default:
			units = append(units, dst)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(units)
	for _, u := range units {
		out, err := exec.Command(sa, "verify", "--man=no", u).CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", filepath.Base(u), err, out)
		}
	}
	t.Logf("systemd-analyze verified %d units", len(units))
}

// The example per-instance environment file sets only what the template
// reads: WORKER_* it uses in ExecStart, or GD_* settings.
func TestWorkerEnvExample(t *testing.T) {
	tmpl := readFile(t, filepath.Join("systemd", "gravedancer-worker@.service"))
	files, _ := filepath.Glob(filepath.Join("systemd", "*.env.example"))
	if len(files) == 0 {
		t.Fatal("no systemd/*.env.example")
	}
	for _, f := range files {
		for i, line := range strings.Split(readFile(t, f), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || line[0] == '#' {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			switch {
			case !ok:
				t.Errorf("%s:%d: not NAME=value", f, i+1)
			case strings.HasPrefix(k, "WORKER_"):
				if !strings.Contains(tmpl, "${"+k+"}") {
					t.Errorf("%s:%d: %s is not used by gravedancer-worker@.service", f, i+1, k)
				}
				if k == "WORKER_HEALTH" && v != "" {
					if _, _, err := net.SplitHostPort(v); err != nil {
						t.Errorf("%s:%d: %v", f, i+1, err)
					}
				}
			case !strings.HasPrefix(k, "GD_"):
				t.Errorf("%s:%d: %s is neither WORKER_* nor GD_*", f, i+1, k)
			}
		}
	}
}

// env.example is the shared /etc/gravedancer/env: it must not set what each
// unit sets for its role, since an EnvironmentFile overrides Environment=.
func TestEnvExample(t *testing.T) {
	role := []string{"GD_NATS_USER", "GD_NATS_PASSWORD", "GD_NATS_PASSWORD_FILE", "GD_NATS_SETUP",
		"GD_SOURCE_PASSWORD", "GD_SOURCE_PASSWORD_FILE", "GD_RESTORE_PASSWORD", "GD_RESTORE_PASSWORD_FILE",
		"GD_DECRYPT_IDENTITY_FILE"}
	for i, line := range strings.Split(readFile(t, "env.example"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		k, _, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(k, "GD_") {
			t.Errorf("env.example:%d: not GD_NAME=value: %q", i+1, line)
		}
		if slices.Contains(role, k) {
			t.Errorf("env.example:%d: %s is a role setting the units set; here it would override them", i+1, k)
		}
	}
}

// ---------------------------------------------------------------------------
// cron.

func TestCron(t *testing.T) {
	known := binarySubcommands(t)
	// The password files cron reads must be the ones the units load.
	hostFiles := map[string]bool{}
	for _, u := range systemdServices(t) {
		for _, p := range u.credentials() {
			hostFiles[p] = true
		}
	}
	field := regexp.MustCompile(`^([0-9*,/-]+|[A-Za-z]{3})$`)
	jobLine := regexp.MustCompile(`^#?\s*([0-9*@])`)
	assign := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
	var active, jobs int
	for i, raw := range strings.Split(readFile(t, filepath.Join("cron", "gravedancer")), "\n") {
		line := strings.TrimSpace(raw)
		where := fmt.Sprintf("cron/gravedancer:%d", i+1)
		if line == "" || assign.MatchString(line) || !jobLine.MatchString(line) {
			continue // blank, NAME=value, or prose
		}
		disabled := strings.HasPrefix(line, "#")
		f := strings.Fields(strings.TrimLeft(line, "#"))
		if len(f) < 7 {
			t.Errorf("%s: want 5 schedule fields, a user and a command: %q", where, line)
			continue
		}
		jobs++
		if !disabled {
			active++
		}
		for _, s := range f[:5] {
			if !field.MatchString(s) {
				t.Errorf("%s: schedule field %q", where, s)
			}
		}
		if f[5] != "gravedancer" {
			t.Errorf("%s: runs as %s; run as the gravedancer user so spool and state stay its own", where, f[5])
		}
		command := strings.Join(f[6:], " ")
		if strings.Contains(command, "%") {
			t.Errorf("%s: a %% in a cron command is a newline", where)
		}
		i := slices.Index(f, "/usr/local/bin/gravedancer")
		if i < 0 || i+1 >= len(f) {
			t.Errorf("%s: does not run /usr/local/bin/gravedancer", where)
			continue
		}
		var args []string
		for _, a := range f[i+1:] {
			if strings.HasPrefix(a, ">") || a == "||" || a == "2>&1" {
				break
			}
			args = append(args, a)
		}
		cmd, err := parseGD(args, known)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		env := map[string]string{}
		for _, a := range f[6:i] {
			if k, v, ok := strings.Cut(a, "="); ok && assign.MatchString(a) {
				env[strings.TrimSuffix(k, ";")] = strings.TrimSuffix(v, ";")
			}
		}
		for k, v := range env {
			if strings.HasSuffix(k, "_FILE") && !hostFiles[v] {
				t.Errorf("%s: %s=%s is not a file the systemd units load", where, k, v)
			}
		}
		switch cmd.Sub {
		case "backup":
			if env["GD_NATS_USER"] != "" || env["GD_SOURCE_PASSWORD_FILE"] == "" || env["GD_RESTORE_PASSWORD_FILE"] == "" {
				t.Errorf("%s: backup needs the source and restore password files and no NATS user", where)
			}
		case "trigger":
			if env["GD_NATS_USER"] != "trigger" || env["GD_NATS_PASSWORD_FILE"] == "" || env["GD_NATS_SETUP"] != "false" {
				t.Errorf("%s: trigger runs as NATS user trigger with its password file and GD_NATS_SETUP=false", where)
			}
		default:
			t.Errorf("%s: cron runs backup or trigger, not %s", where, cmd.Sub)
		}
	}
	if jobs < 2 || active != 1 {
		t.Errorf("cron/gravedancer: %d job lines, %d enabled; want both modes with exactly one enabled", jobs, active)
	}
}
