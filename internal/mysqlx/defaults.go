package mysqlx

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// maxOptionLine stays under the 4096-byte line buffer that the MariaDB and
// MySQL option-file readers use; a longer line would be cut, silently
// changing the value.
const maxOptionLine = 4000

// WriteDefaultsFile writes c as a [client] option file in dir, for client
// tools run with --defaults-extra-file=path (which must be their first
// argument). The file is created with O_EXCL and mode 0600 from the first
// instant, so the password is never readable by others and never on a command
// line. The caller must remove the file (os.Remove) as soon as the tool has
// exited, whatever happened.
//
// Values are double-quoted and escaped, so passwords with quotes,
// backslashes, '#', '=', spaces or leading/trailing blanks survive the option
// file parser. Unless c.Socket is set, protocol=TCP is forced so that a host
// of "localhost" still means TCP to the given port, never a local socket.
func WriteDefaultsFile(dir string, c Credentials) (path string, err error) {
	body, err := defaultsBody(c)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, ".gd-client-*.cnf")
	if err != nil {
		return "", fmt.Errorf("defaults file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	// CreateTemp already uses 0600; Chmod guards against a future change of
	// that default rather than against the umask, which can only remove bits.
	if err = f.Chmod(0o600); err != nil {
		return "", fmt.Errorf("defaults file: %w", err)
	}
	if _, err = f.WriteString(body); err != nil {
		return "", fmt.Errorf("defaults file %s: %w", f.Name(), err)
	}
	if err = f.Close(); err != nil {
		return "", fmt.Errorf("defaults file %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}

func defaultsBody(c Credentials) (string, error) {
	var b strings.Builder
	b.WriteString("[client]\n")
	opts := [][2]string{{"user", c.User}, {"password", c.Password.Reveal()}}
	if c.Socket != "" {
		opts = append(opts, [2]string{"socket", c.Socket}, [2]string{"protocol", "SOCKET"})
	} else {
		opts = append(opts, [2]string{"host", c.Host}, [2]string{"port", strconv.Itoa(c.port())}, [2]string{"protocol", "TCP"})
	}
	for _, kv := range opts {
		if kv[1] == "" && kv[0] != "password" {
			continue
		}
		line, err := optionLine(kv[0], kv[1])
		if err != nil {
			return "", err
		}
		b.WriteString(line)
	}
	return b.String(), nil
}

// optionLine renders key="value". Inside quotes the parser ends the value at
// the last quote, keeps '#' (comments are only recognised outside quotes) and
// understands the escapes \\ \" \' \n \r \t \b \s.
func optionLine(key, value string) (string, error) {
	if strings.IndexByte(value, 0) >= 0 {
		// The parsers are C string based: a NUL would truncate the value.
		return "", fmt.Errorf("defaults file: %s contains a NUL byte", key)
	}
	line := key + "=" + quoteOption(value) + "\n"
	if len(line) > maxOptionLine {
		return "", errors.New("defaults file: " + key + " is too long for an option file")
	}
	return line, nil
}

var optionEscaper = strings.NewReplacer(
	`\`, `\\`,
	`"`, `\"`,
	`'`, `\'`,
	"\n", `\n`,
	"\r", `\r`,
	"\t", `\t`,
	"\b", `\b`,
)

func quoteOption(v string) string { return `"` + optionEscaper.Replace(v) + `"` }
