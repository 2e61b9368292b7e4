package config

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Region is one source server to back up.
type Region struct {
	Name     string
	Host     string
	Port     int
	User     string
	Password Secret
}

// Addr is host:port for dialing.
func (r Region) Addr() string { return net.JoinHostPort(r.Host, strconv.Itoa(r.Port)) }

var regionName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidRegionName reports whether s can name a region: it becomes part of
// NATS subjects, file names and Msg-Ids, so only letters, digits, - and _.
func ValidRegionName(s string) bool { return regionName.MatchString(s) }

// envKey is the per-region override prefix: GD_REGION_<NAME>_.
func (r Region) envKey(suffix string) string {
	return Prefix + "_REGION_" + strings.ToUpper(strings.ReplaceAll(r.Name, "-", "_")) + "_" + suffix
}

// resolve applies GD_REGION_<NAME>_USER / _PASSWORD / _PASSWORD_FILE over the
// shared source credentials.
func (r *Region) resolve(user string, password Secret) error {
	r.User, r.Password = user, password
	if u, ok := os.LookupEnv(r.envKey("USER")); ok && u != "" {
		r.User = u
	}
	p, hasP := os.LookupEnv(r.envKey("PASSWORD"))
	f, hasF := os.LookupEnv(r.envKey("PASSWORD_FILE"))
	if hasP && hasF {
		return &Error{Var: r.envKey("PASSWORD"), Msg: "both it and " + r.envKey("PASSWORD_FILE") + " are set; set one"}
	}
	if hasP {
		r.Password = Secret(p)
	}
	if hasF {
		b, err := os.ReadFile(f)
		if err != nil {
			return &Error{Var: r.envKey("PASSWORD_FILE"), Msg: "read password file: " + err.Error()}
		}
		r.Password = Secret(strings.TrimRight(string(b), "\r\n"))
	}
	return nil
}

// RegionList decodes GD_REGIONS: NAME=host[:port],… in operator order.
type RegionList []Region

// Decode implements envconfig.Decoder.
func (l *RegionList) Decode(v string) error {
	seen := map[string]bool{}
	var out RegionList
	for _, item := range splitList(v) {
		name, addr, ok := strings.Cut(item, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.TrimSpace(addr) == "" {
			return fmt.Errorf("%q is not NAME=host[:port]", item)
		}
		if !ValidRegionName(name) {
			return fmt.Errorf("region name %q: use only letters, digits, - and _ (at most 64)", name)
		}
		if seen[name] {
			return fmt.Errorf("region %q is listed twice", name)
		}
		seen[name] = true
		host, port, err := splitHostPort(strings.TrimSpace(addr))
		if err != nil {
			return fmt.Errorf("region %s: %w", name, err)
		}
		out = append(out, Region{Name: name, Host: host, Port: port})
	}
	*l = out
	return nil
}

// Find returns the named region.
func (l RegionList) Find(name string) (Region, bool) {
	for _, r := range l {
		if r.Name == name {
			return r, true
		}
	}
	return Region{}, false
}

// Names lists the regions in configuration order.
func (l RegionList) Names() []string {
	names := make([]string, len(l))
	for i, r := range l {
		names[i] = r.Name
	}
	return names
}

// AddrList decodes a host[:port] list such as GD_TEST_SERVERS.
type AddrList []string

// Decode implements envconfig.Decoder.
func (l *AddrList) Decode(v string) error {
	var out AddrList
	for _, item := range splitList(v) {
		host, port, err := splitHostPort(item)
		if err != nil {
			return err
		}
		out = append(out, net.JoinHostPort(host, strconv.Itoa(port)))
	}
	*l = out
	return nil
}

// splitHostPort accepts host, host:port, [v6]:port; the port defaults to 3306.
func splitHostPort(s string) (string, int, error) {
	host, portStr := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, portStr = h, p
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	} else if strings.Count(s, ":") == 1 {
		return "", 0, fmt.Errorf("%q: bad host:port", s)
	}
	if host == "" || strings.ContainsAny(host, " /\\'\"`") {
		return "", 0, fmt.Errorf("%q: bad host", s)
	}
	if portStr == "" {
		return host, 3306, nil
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("%q: port must be 1-65535", s)
	}
	return host, port, nil
}

// NameList decodes a comma-separated list of plain names.
type NameList []string

// Decode implements envconfig.Decoder.
func (l *NameList) Decode(v string) error {
	*l = splitList(v)
	return nil
}

// TableRef is a db.table pair from GD_CHECK_TABLES.
type TableRef struct{ Database, Table string }

func (t TableRef) String() string { return t.Database + "." + t.Table }

// TableList decodes db.table,db.table. A name containing a dot cannot be
// written this way; such tables are checked through the row-count comparison.
type TableList []TableRef

// Decode implements envconfig.Decoder.
func (l *TableList) Decode(v string) error {
	var out TableList
	for _, item := range splitList(v) {
		db, table, ok := strings.Cut(item, ".")
		if !ok || db == "" || table == "" || strings.Contains(table, ".") {
			return fmt.Errorf("%q is not db.table", item)
		}
		out = append(out, TableRef{Database: db, Table: table})
	}
	*l = out
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
