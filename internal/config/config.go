// Package config reads gravedancer's configuration from GD_* environment
// variables: defaults, then parse, then Validate, and every error names the
// variable an operator has to fix.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"gravedancer/internal/ship"
)

// Prefix is the environment prefix of every variable.
const Prefix = "GD"

// Config is the whole configuration. Field tags give the variable name (after
// the GD_ prefix) and default; the README's table is generated from the same
// names, so keep them in step.
type Config struct {
	Regions            RegionList `envconfig:"REGIONS"`
	SourceUser         string     `envconfig:"SOURCE_USER" default:"backupuser"`
	SourcePassword     Secret     `envconfig:"SOURCE_PASSWORD"`
	SourcePasswordFile string     `envconfig:"SOURCE_PASSWORD_FILE"`

	TestServers         AddrList  `envconfig:"TEST_SERVERS"`
	RestoreUser         string    `envconfig:"RESTORE_USER" default:"restoreuser"`
	RestorePassword     Secret    `envconfig:"RESTORE_PASSWORD"`
	RestorePasswordFile string    `envconfig:"RESTORE_PASSWORD_FILE"`
	CheckDatabases      NameList  `envconfig:"CHECK_DATABASES"`
	CheckTables         TableList `envconfig:"CHECK_TABLES"`
	VerifyRows          string    `envconfig:"VERIFY_ROWS" default:"all"`
	RestoreTool         string    `envconfig:"RESTORE_TOOL" default:"auto"`
	// RestoreMethod is engine (statements executed over RestoreParallel
	// connections) or client (piped into one mariadb client).
	RestoreMethod string `envconfig:"RESTORE_METHOD" default:"engine"`
	// RestoreParallel is the engine's connections; 0 = twice the test
	// server's CPUs.
	RestoreParallel int `envconfig:"RESTORE_PARALLEL"`
	// RestoreStripDefiners restores views, triggers and routines owned by
	// the restore user, for a restore user without SET USER / SUPER.
	RestoreStripDefiners bool `envconfig:"RESTORE_STRIP_DEFINERS"`
	// LeaseTTL bounds how long a dead restore worker keeps a test server.
	LeaseTTL time.Duration `envconfig:"LEASE_TTL" default:"2m"`

	SpoolDir         string `envconfig:"SPOOL_DIR" default:"/var/backups/gravedancer"`
	StateDir         string `envconfig:"STATE_DIR" default:"/var/lib/gravedancer"`
	RetentionDays    int    `envconfig:"RETENTION_DAYS" default:"3"`
	RetentionKeepMin int    `envconfig:"RETENTION_KEEP_MIN" default:"1"`
	KeepDaily        int    `envconfig:"KEEP_DAILY"`
	KeepWeekly       int    `envconfig:"KEEP_WEEKLY"`
	KeepMonthly      int    `envconfig:"KEEP_MONTHLY"`

	Compress      string        `envconfig:"COMPRESS" default:"gzip"`
	CompressLevel int           `envconfig:"COMPRESS_LEVEL"`
	DumpTool      string        `envconfig:"DUMP_TOOL" default:"auto"`
	DumpFlags     string        `envconfig:"DUMP_FLAGS"`
	Consistency   string        `envconfig:"CONSISTENCY" default:"single-transaction"`
	DumpTimeout   time.Duration `envconfig:"DUMP_TIMEOUT" default:"2h"`

	Ship    NameList `envconfig:"SHIP" default:"none"`
	ShipDir string   `envconfig:"SHIP_DIR"`

	NetBackupBin      string        `envconfig:"NETBACKUP_BIN" default:"/usr/openv/netbackup/bin/bpbackup"`
	NetBackupPolicy   string        `envconfig:"NETBACKUP_POLICY" default:"MariaDB"`
	NetBackupSchedule string        `envconfig:"NETBACKUP_SCHEDULE" default:"User"`
	NetBackupServer   string        `envconfig:"NETBACKUP_SERVER"`
	NetBackupLog      string        `envconfig:"NETBACKUP_LOG"`
	ShipTimeout       time.Duration `envconfig:"SHIP_TIMEOUT" default:"6h"`

	SCPHost       string `envconfig:"SCP_HOST"`
	SCPPort       int    `envconfig:"SCP_PORT" default:"22"`
	SCPUser       string `envconfig:"SCP_USER"`
	SCPDir        string `envconfig:"SCP_DIR"`
	SCPKey        string `envconfig:"SCP_KEY"`
	SCPKnownHosts string `envconfig:"SCP_KNOWN_HOSTS"`

	S3Endpoint      string `envconfig:"S3_ENDPOINT"` // host[:port] (https) or http(s)://host[:port]
	S3Bucket        string `envconfig:"S3_BUCKET"`
	S3Prefix        string `envconfig:"S3_PREFIX"`
	S3Region        string `envconfig:"S3_REGION"`
	S3PathStyle     bool   `envconfig:"S3_PATH_STYLE"`
	S3AccessKey     string `envconfig:"S3_ACCESS_KEY"` // unset: the AWS credential chain
	S3SecretKey     Secret `envconfig:"S3_SECRET_KEY"`
	S3SecretKeyFile string `envconfig:"S3_SECRET_KEY_FILE"`
	S3PartSizeMB    int    `envconfig:"S3_PART_SIZE_MB" default:"64"`
	S3LockDays      int    `envconfig:"S3_OBJECT_LOCK_DAYS"`
	S3LockMode      string `envconfig:"S3_OBJECT_LOCK_MODE" default:"GOVERNANCE"`

	NATSURL          string `envconfig:"NATS_URL"`
	NATSCreds        string `envconfig:"NATS_CREDS"`
	NATSUser         string `envconfig:"NATS_USER"`
	NATSPassword     Secret `envconfig:"NATS_PASSWORD"`
	NATSPasswordFile string `envconfig:"NATS_PASSWORD_FILE"`
	NATSNKey         string `envconfig:"NATS_NKEY"` // nkey seed file
	NATSCA           string `envconfig:"NATS_CA"`
	NATSCert         string `envconfig:"NATS_CERT"`
	NATSKey          string `envconfig:"NATS_KEY"`
	// NATSSetup lets this process create streams, consumers and the lease
	// bucket. With per-role users only the admin may: run `gravedancer
	// setup` as admin once and set this false for workers.
	NATSSetup bool `envconfig:"NATS_SETUP" default:"true"`
	// NATSReplicas is the copies a JetStream cluster keeps of every stream
	// and bucket: 3 survives the loss of one node. 1 on a single server.
	NATSReplicas int           `envconfig:"NATS_REPLICAS" default:"1"`
	AckWait      time.Duration `envconfig:"ACK_WAIT" default:"60s"`
	// MaxDeliver bounds attempts of a job at one stage; the last failure
	// excludes the region with that failure as the reason.
	MaxDeliver int           `envconfig:"MAX_DELIVER" default:"4"`
	RetryDelay time.Duration `envconfig:"RETRY_DELAY" default:"30s"`

	DumpConcurrency int `envconfig:"DUMP_CONCURRENCY" default:"4"`
	// DumpPerSource caps concurrent dumps against one source server
	// (host:port) across all workers, for regions that share a server.
	DumpPerSource    int `envconfig:"DUMP_PER_SOURCE" default:"1"`
	StatsConcurrency int `envconfig:"STATS_CONCURRENCY" default:"2"`
	CheckConcurrency int `envconfig:"CHECK_CONCURRENCY" default:"2"`
	// RestoreConcurrency 0 means one restore per test server.
	RestoreConcurrency int `envconfig:"RESTORE_CONCURRENCY"`
	ShipConcurrency    int `envconfig:"SHIP_CONCURRENCY" default:"2"`

	LogFormat string `envconfig:"LOG_FORMAT" default:"auto"`
	LogLevel  string `envconfig:"LOG_LEVEL" default:"info"`

	// AlertWebhook receives a JSON POST on every exclusion, on a run that
	// finished with exclusions, and when a region has had no verified
	// backup for StaleAfter. Empty: no alerts.
	AlertWebhook    string `envconfig:"ALERT_WEBHOOK"`
	AlertFormat     string `envconfig:"ALERT_FORMAT" default:"json"`          // json | slack
	AlertHeader     string `envconfig:"ALERT_HEADER" default:"Authorization"` // header carrying the secret
	AlertSecret     Secret `envconfig:"ALERT_SECRET"`                         // its value, e.g. "Bearer …"
	AlertSecretFile string `envconfig:"ALERT_SECRET_FILE"`
	// StaleAfter is the dead-man's switch: it fires even when no run
	// happens at all.
	StaleAfter time.Duration `envconfig:"STALE_AFTER" default:"26h"`

	// WebToken, when set, is required (Authorization: Bearer) for every
	// write on the status page and API (DLQ replay); reads stay open on
	// the address it binds, loopback by default. WebUser and
	// WebPassword are the basic-auth alternative.
	WebToken        Secret `envconfig:"WEB_TOKEN"`
	WebTokenFile    string `envconfig:"WEB_TOKEN_FILE"`
	WebUser         string `envconfig:"WEB_USER"`
	WebPassword     Secret `envconfig:"WEB_PASSWORD"`
	WebPasswordFile string `envconfig:"WEB_PASSWORD_FILE"`

	// Encrypt is on, off or unset. Unset means on when
	// EncryptRecipientsFile is set; a process running the dump stage
	// without recipients refuses to start unless Encrypt is off, so that
	// plaintext backups are always somebody's explicit choice.
	Encrypt string `envconfig:"ENCRYPT"`
	// EncryptRecipientsFile lists the age public keys (age1…, ssh-ed25519 …)
	// every new artifact is sealed to; only dump workers read it.
	EncryptRecipientsFile string `envconfig:"ENCRYPT_RECIPIENTS_FILE"`
	// DecryptIdentityFile holds the age private keys (AGE-SECRET-KEY-1…)
	// that open sealed artifacts: on restore workers and the operator's
	// restore host only. It must be mode 0600 (or stricter).
	DecryptIdentityFile string `envconfig:"DECRYPT_IDENTITY_FILE"`
}

// Load reads the environment and validates the result.
func Load() (*Config, error) {
	c, err := Parse()
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse reads the environment without validating, for commands that need only
// part of the configuration (trigger, dlq) and validate that part themselves.
func Parse() (*Config, error) {
	var c Config
	if err := envconfig.Process(Prefix, &c); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			// ParseError's own text repeats the value; a value can be a secret.
			return nil, &Error{Var: pe.KeyName, Msg: unwrapAll(pe.Err).Error()}
		}
		return nil, &Error{Var: "GD_*", Msg: err.Error()}
	}
	if err := c.resolveSecrets(); err != nil {
		return nil, err
	}
	return &c, nil
}

func unwrapAll(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// Error is a configuration error naming the variable to fix.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return e.Var + ": " + e.Msg }

func errf(v, format string, args ...any) error {
	return &Error{Var: Prefix + "_" + v, Msg: fmt.Sprintf(format, args...)}
}

func (c *Config) resolveSecrets() error {
	var err error
	if c.SourcePassword, err = secret("SOURCE_PASSWORD", c.SourcePassword, c.SourcePasswordFile); err != nil {
		return err
	}
	if c.RestorePassword, err = secret("RESTORE_PASSWORD", c.RestorePassword, c.RestorePasswordFile); err != nil {
		return err
	}
	if c.NATSPassword, err = secret("NATS_PASSWORD", c.NATSPassword, c.NATSPasswordFile); err != nil {
		return err
	}
	if c.AlertSecret, err = secret("ALERT_SECRET", c.AlertSecret, c.AlertSecretFile); err != nil {
		return err
	}
	if c.WebToken, err = secret("WEB_TOKEN", c.WebToken, c.WebTokenFile); err != nil {
		return err
	}
	if c.WebPassword, err = secret("WEB_PASSWORD", c.WebPassword, c.WebPasswordFile); err != nil {
		return err
	}
	if c.S3SecretKey, err = secret("S3_SECRET_KEY", c.S3SecretKey, c.S3SecretKeyFile); err != nil {
		return err
	}
	for i := range c.Regions {
		if err := c.Regions[i].resolve(c.SourceUser, c.SourcePassword); err != nil {
			return err
		}
	}
	return nil
}

// secret picks VAR or VAR_FILE; both set is ambiguous and refused.
func secret(name string, value Secret, file string) (Secret, error) {
	if file == "" {
		return value, nil
	}
	if value != "" {
		return "", errf(name, "both %s_%s and %s_%s_FILE are set; set one", Prefix, name, Prefix, name)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", errf(name+"_FILE", "read password file: %v", err)
	}
	// Files written by editors or `echo` end in a newline that is not part of the password.
	return Secret(strings.TrimRight(string(b), "\r\n")), nil
}

// Validate checks the whole configuration for the service and the one-shot
// backup; the first problem found is returned, naming its variable.
func (c *Config) Validate() error {
	if len(c.Regions) == 0 {
		return errf("REGIONS", "no regions configured; set NAME=host[:port],… e.g. REG1=10.1.1.1,REG2=10.1.1.2:3307")
	}
	for _, check := range []func() error{c.validateSource, c.validateRestore, c.validateDump, c.validateDirs,
		c.validateRetention, c.validatePipeline, c.validateShip, c.validateLog, c.ValidateNATS, c.ValidateWatch, c.validateEncrypt} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateSource() error {
	if c.SourceUser == "" {
		return errf("SOURCE_USER", "must not be empty")
	}
	for _, t := range c.CheckTables {
		if t.Database == "" || t.Table == "" {
			return errf("CHECK_TABLES", "%q is not db.table", t.String())
		}
	}
	return nil
}

func (c *Config) validateDump() error {
	switch c.Compress {
	case "gzip":
		if c.CompressLevel < 0 || c.CompressLevel > 9 {
			return errf("COMPRESS_LEVEL", "gzip level %d out of range 1-9 (0 = default 6)", c.CompressLevel)
		}
	case "zstd":
		if c.CompressLevel < 0 || c.CompressLevel > 22 {
			return errf("COMPRESS_LEVEL", "zstd level %d out of range 1-22 (0 = default 3)", c.CompressLevel)
		}
	default:
		return errf("COMPRESS", "%q is not one of gzip, zstd", c.Compress)
	}
	switch c.Consistency {
	case "single-transaction", "lock-all", "none":
	default:
		return errf("CONSISTENCY", "%q is not one of single-transaction, lock-all, none", c.Consistency)
	}
	switch c.DumpTool {
	case "auto", "mariadb-dump", "mysqldump":
	default:
		if !strings.Contains(c.DumpTool, "/") {
			return errf("DUMP_TOOL", "%q is not auto, mariadb-dump, mysqldump or a path", c.DumpTool)
		}
	}
	for _, f := range strings.Fields(c.DumpFlags) {
		if isPasswordFlag(f) {
			// Name the flag but never echo it: -pSECRET is the password itself.
			return errf("DUMP_FLAGS", "must not carry a password (a --password or -p flag); use GD_SOURCE_PASSWORD_FILE")
		}
	}
	if c.DumpTimeout <= 0 {
		return errf("DUMP_TIMEOUT", "must be a positive duration such as 2h")
	}
	return nil
}

// isPasswordFlag spots flags that would put a password in argv.
func isPasswordFlag(f string) bool {
	return strings.HasPrefix(f, "--password") || strings.HasPrefix(f, "--pass") ||
		(strings.HasPrefix(f, "-p") && !strings.HasPrefix(f, "--"))
}

func (c *Config) validateDirs() error {
	if c.SpoolDir == "" {
		return errf("SPOOL_DIR", "must not be empty")
	}
	if c.StateDir == "" {
		return errf("STATE_DIR", "must not be empty")
	}
	if c.RetentionDays < 1 {
		return errf("RETENTION_DAYS", "must be at least 1, got %d", c.RetentionDays)
	}
	return nil
}

func (c *Config) validatePipeline() error {
	positive := map[string]int{
		"DUMP_CONCURRENCY": c.DumpConcurrency, "STATS_CONCURRENCY": c.StatsConcurrency,
		"CHECK_CONCURRENCY": c.CheckConcurrency, "SHIP_CONCURRENCY": c.ShipConcurrency, "MAX_DELIVER": c.MaxDeliver,
		"DUMP_PER_SOURCE": c.DumpPerSource,
	}
	for _, name := range sortedKeys(positive) {
		if positive[name] < 1 {
			return errf(name, "must be at least 1, got %d", positive[name])
		}
	}
	if c.NATSReplicas < 1 || c.NATSReplicas > 5 {
		return errf("NATS_REPLICAS", "must be 1 to 5 (JetStream's limit), got %d", c.NATSReplicas)
	}
	if c.NATSURL == "" && c.NATSReplicas != 1 {
		return errf("NATS_REPLICAS", "the embedded NATS server is a single node: replicas must be 1 without GD_NATS_URL, got %d", c.NATSReplicas)
	}
	if c.RestoreConcurrency < 0 {
		return errf("RESTORE_CONCURRENCY", "must not be negative (0 = one per test server)")
	}
	if c.AckWait < time.Second {
		return errf("ACK_WAIT", "must be at least 1s, got %s", c.AckWait)
	}
	if c.RetryDelay < 0 {
		return errf("RETRY_DELAY", "must not be negative")
	}
	return nil
}

// MaxRestoreParallel bounds GD_RESTORE_PARALLEL: past the test server's
// cores more connections only contend for InnoDB's locks.
const MaxRestoreParallel = 64

func (c *Config) validateRestore() error {
	if len(c.TestServers) == 0 {
		return errf("TEST_SERVERS", "no test server configured: a backup counts only once it has been restored; set host[:port],…")
	}
	if c.RestoreUser == "" {
		return errf("RESTORE_USER", "must not be empty")
	}
	switch c.VerifyRows {
	case "all", "checked", "off":
	default:
		return errf("VERIFY_ROWS", "%q is not one of all, checked, off", c.VerifyRows)
	}
	switch c.RestoreMethod {
	case "engine", "client":
	default:
		return errf("RESTORE_METHOD", "%q is not one of engine, client", c.RestoreMethod)
	}
	if c.RestoreParallel < 0 || c.RestoreParallel > MaxRestoreParallel {
		return errf("RESTORE_PARALLEL", "must be 0 (twice the test server's CPUs) to %d, got %d", MaxRestoreParallel, c.RestoreParallel)
	}
	if c.LeaseTTL < 5*time.Second {
		return errf("LEASE_TTL", "must be at least 5s, got %s", c.LeaseTTL)
	}
	return nil
}

func (c *Config) validateRetention() error {
	if c.RetentionKeepMin < 1 {
		return errf("RETENTION_KEEP_MIN", "must be at least 1: the newest verified backup is always kept, got %d", c.RetentionKeepMin)
	}
	for name, v := range map[string]int{"KEEP_DAILY": c.KeepDaily, "KEEP_WEEKLY": c.KeepWeekly, "KEEP_MONTHLY": c.KeepMonthly} {
		if v < 0 {
			return errf(name, "must not be negative, got %d", v)
		}
	}
	return nil
}

func (c *Config) validateShip() error {
	seen := map[string]bool{}
	for _, s := range c.Ship {
		if seen[s] {
			return errf("SHIP", "%q is listed twice", s)
		}
		seen[s] = true
		if err := c.validateTarget(s); err != nil {
			return err
		}
	}
	if seen["none"] && len(c.Ship) > 1 {
		return errf("SHIP", "none cannot be combined with other targets")
	}
	if c.ShipTimeout <= 0 {
		return errf("SHIP_TIMEOUT", "must be a positive duration")
	}
	return nil
}

// validateTarget checks the variables one ship target needs.
func (c *Config) validateTarget(s string) error {
	switch s {
	case "none":
	case "dir":
		if c.ShipDir == "" {
			return errf("SHIP_DIR", "required when GD_SHIP includes dir")
		}
	case "netbackup":
		if c.NetBackupServer == "" {
			return errf("NETBACKUP_SERVER", "required when GD_SHIP includes netbackup (the master server for bpbackup -S)")
		}
	case "scp":
		for name, v := range map[string]string{"SCP_HOST": c.SCPHost, "SCP_DIR": c.SCPDir, "SCP_KEY": c.SCPKey, "SCP_KNOWN_HOSTS": c.SCPKnownHosts} {
			if v == "" {
				return errf(name, "required when GD_SHIP includes scp")
			}
		}
		if c.SCPPort < 1 || c.SCPPort > 65535 {
			return errf("SCP_PORT", "must be 1-65535, got %d", c.SCPPort)
		}
	case "s3":
		return c.validateS3()
	default:
		return errf("SHIP", "%q is not one of netbackup, scp, dir, s3, none", s)
	}
	return nil
}

// validateS3 checks the S3 target's variables (GD_SHIP includes s3).
func (c *Config) validateS3() error {
	if strings.TrimSpace(c.S3Endpoint) == "" {
		return errf("S3_ENDPOINT", "required when GD_SHIP includes s3 (host[:port], https by default)")
	}
	if _, _, err := ship.ParseS3Endpoint(c.S3Endpoint); err != nil {
		return errf("S3_ENDPOINT", "%v", err)
	}
	switch {
	case strings.TrimSpace(c.S3Bucket) == "":
		return errf("S3_BUCKET", "required when GD_SHIP includes s3")
	case strings.ContainsAny(c.S3Bucket, "/ \t\n"):
		return errf("S3_BUCKET", "%q is not a bucket name", c.S3Bucket)
	case c.S3AccessKey != "" && c.S3SecretKey == "":
		return errf("S3_SECRET_KEY", "required with GD_S3_ACCESS_KEY (or set GD_S3_SECRET_KEY_FILE); leave both unset for the AWS credential chain")
	case c.S3AccessKey == "" && c.S3SecretKey != "":
		return errf("S3_ACCESS_KEY", "required with GD_S3_SECRET_KEY[_FILE]")
	case c.S3PartSizeMB < 5 || c.S3PartSizeMB > 5120:
		return errf("S3_PART_SIZE_MB", "must be 5-5120 (S3's part size limits), got %d", c.S3PartSizeMB)
	case c.S3LockDays < 0:
		return errf("S3_OBJECT_LOCK_DAYS", "must not be negative, got %d", c.S3LockDays)
	}
	switch strings.ToUpper(c.S3LockMode) {
	case ship.S3LockGovernance, ship.S3LockCompliance:
	default:
		return errf("S3_OBJECT_LOCK_MODE", "must be GOVERNANCE or COMPLIANCE, got %q", c.S3LockMode)
	}
	return nil
}

// RestoreSlots is how many restores run at once: one per test server
// unless set lower (or higher, for servers that take several).
func (c *Config) RestoreSlots() int {
	if c.RestoreConcurrency > 0 {
		return c.RestoreConcurrency
	}
	return len(c.TestServers)
}

// ValidateNATS checks the connection settings; every command that talks to
// NATS calls it, including those that need no regions.
func (c *Config) ValidateNATS() error {
	if (c.NATSCert == "") != (c.NATSKey == "") {
		return errf("NATS_CERT", "GD_NATS_CERT and GD_NATS_KEY go together (client certificate and its key)")
	}
	n := 0
	for _, set := range []bool{c.NATSCreds != "", c.NATSUser != "", c.NATSNKey != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return errf("NATS_USER", "set one way to authenticate: GD_NATS_CREDS, GD_NATS_USER (+ password) or GD_NATS_NKEY")
	}
	if c.NATSUser != "" && !regionName.MatchString(c.NATSUser) {
		return errf("NATS_USER", "%q: use letters, digits, - and _ (it becomes the user's inbox prefix)", c.NATSUser)
	}
	if c.NATSPassword != "" && c.NATSUser == "" {
		return errf("NATS_USER", "required with GD_NATS_PASSWORD[_FILE]")
	}
	if c.NATSURL == "" && n > 0 {
		return errf("NATS_URL", "NATS credentials are set but GD_NATS_URL is empty (the embedded server needs none)")
	}
	return nil
}

// ValidateWatch checks what alerts and the status page need; `serve`
// runs it alone.
func (c *Config) ValidateWatch() error {
	if c.AlertWebhook != "" {
		u, err := url.Parse(c.AlertWebhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errf("ALERT_WEBHOOK", "must be an http(s) URL")
		}
		if u.User != nil {
			return errf("ALERT_WEBHOOK", "must not carry credentials; put the secret in GD_ALERT_SECRET_FILE")
		}
	}
	switch c.AlertFormat {
	case "json", "slack":
	default:
		return errf("ALERT_FORMAT", "%q is not one of json, slack", c.AlertFormat)
	}
	if c.AlertSecret != "" && strings.TrimSpace(c.AlertHeader) == "" {
		return errf("ALERT_HEADER", "must name the header that carries GD_ALERT_SECRET")
	}
	if c.StaleAfter < time.Minute {
		return errf("STALE_AFTER", "must be at least 1m, got %s", c.StaleAfter)
	}
	if (c.WebUser == "") != (c.WebPassword == "") {
		return errf("WEB_USER", "GD_WEB_USER and GD_WEB_PASSWORD[_FILE] go together")
	}
	return nil
}

func (c *Config) validateLog() error {
	switch c.LogFormat {
	case "auto", "text", "json":
	default:
		return errf("LOG_FORMAT", "%q is not one of auto, text, json", c.LogFormat)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		return errf("LOG_LEVEL", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	return nil
}
