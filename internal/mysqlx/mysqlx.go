// Package mysqlx holds MySQL/MariaDB helpers shared by dump and (later)
// restore: credentials handed to client tools through a private option file
// rather than argv or the environment, identifier quoting, and DSNs for
// go-sql-driver/mysql.
package mysqlx

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"gravedancer/internal/config"
)

// DefaultPort is used when Credentials.Port is 0.
const DefaultPort = 3306

// Driver timeouts used by DSN and Config. Dialing a dead host should fail in
// seconds so the pipeline can retry; I/O gets a long limit because a restore
// runs statements (index builds, big INSERTs) that legitimately take minutes,
// while a server that stops answering altogether is still noticed.
const (
	DialTimeout = 10 * time.Second
	IOTimeout   = 30 * time.Minute
)

// Credentials say how to reach and log in to a server. Password is a
// config.Secret so printing Credentials never shows it.
type Credentials struct {
	Host     string
	Port     int
	User     string
	Password config.Secret
	Socket   string // a Unix socket path; when set it wins over Host/Port
}

func (c Credentials) port() int {
	if c.Port == 0 {
		return DefaultPort
	}
	return c.Port
}

// Addr is host:port (IPv6 hosts bracketed).
func (c Credentials) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.port())) }

// QuoteIdent quotes a database, table or column name for SQL text. Any name
// is safe: embedded backticks are doubled, which is the only escape an
// identifier quoted with backticks knows.
func QuoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// Config returns a go-sql-driver configuration for c with the package
// timeouts, for callers that want mysql.NewConnector or to adjust a field.
func Config(c Credentials) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User = c.User
	cfg.Passwd = c.Password.Reveal()
	cfg.Net, cfg.Addr = "tcp", c.Addr()
	if c.Socket != "" {
		cfg.Net, cfg.Addr = "unix", c.Socket
	}
	cfg.Timeout = DialTimeout
	cfg.ReadTimeout = IOTimeout
	cfg.WriteTimeout = IOTimeout
	return cfg
}

// DSN is Config(c) as a go-sql-driver data source name. It contains the
// password in clear: hand it to sql.Open and never log or store it.
func DSN(c Credentials) string { return Config(c).FormatDSN() }
