package mysqlx

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"gravedancer/internal/config"
)

// ReadOptionFile reads the [client] section (and [mysql]/[mariadb]/
// [client-mariadb], which clients read too) of a MariaDB/MySQL option file,
// as `--defaults-extra-file` would: user, password, host, port and socket.
// Keys it does not know are ignored; a later key wins. Values may be bare,
// or quoted with the escapes WriteDefaultsFile uses. The password never
// leaves the returned Credentials, whose printing masks it.
func ReadOptionFile(path string) (Credentials, error) {
	var c Credentials
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("option file: %w", err)
	}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			section = strings.ToLower(strings.Trim(line, "[] \t"))
			continue
		}
		if !clientSection(section) {
			continue
		}
		key, value, _ := strings.Cut(line, "=")
		key = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(key)), "_", "-")
		value, err := optionValue(strings.TrimSpace(value))
		if err != nil {
			return c, fmt.Errorf("option file %s line %d (%s): %w", path, n, key, err)
		}
		if err := c.set(key, value); err != nil {
			return c, fmt.Errorf("option file %s line %d: %w", path, n, err)
		}
	}
	return c, nil
}

func clientSection(s string) bool {
	switch s {
	case "client", "mysql", "mariadb", "client-mariadb", "mariadb-client":
		return true
	}
	return false
}

func (c *Credentials) set(key, value string) error {
	switch key {
	case "user":
		c.User = value
	case "password":
		c.Password = config.Secret(value)
	case "host":
		c.Host = value
	case "socket":
		c.Socket = value
	case "port":
		p, err := strconv.Atoi(value)
		if err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("port %q is not a port number", value)
		}
		c.Port = p
	}
	return nil
}

// optionValue undoes quoting: a quoted value ends at its closing quote and
// knows the backslash escapes; a bare one ends at a '#' comment.
func optionValue(v string) (string, error) {
	if v == "" || (v[0] != '"' && v[0] != '\'') {
		if i := strings.Index(v, " #"); i >= 0 {
			v = v[:i]
		}
		return strings.TrimSpace(v), nil
	}
	q := v[0]
	var b strings.Builder
	for i := 1; i < len(v); i++ {
		switch c := v[i]; {
		case c == q:
			return b.String(), nil
		case c == '\\' && i+1 < len(v):
			i++
			b.WriteByte(unescape(v[i]))
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("unterminated quoted value")
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 's':
		return ' '
	}
	return c
}
