package job

import (
	"encoding/json"
	"fmt"
	"time"
)

// Manifest describes one dump: written beside the artifact and carried in the
// job, so later stages and the restore side never re-read a dump to learn it.
type Manifest struct {
	V        int       `json:"v"`
	Run      string    `json:"run"`
	Region   string    `json:"region"`
	Source   string    `json:"source"` // host:port
	File     string    `json:"file"`   // artifact base name
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`

	Tool        string   `json:"tool"`         // binary that ran, e.g. mariadb-dump
	ToolVersion string   `json:"tool_version"` // from the dump header
	Flags       []string `json:"flags"`        // argv after the binary, without credentials
	Consistency string   `json:"consistency"`

	ServerVersion string `json:"server_version"`
	Header        string `json:"header"`  // "MariaDB dump" / "MySQL dump"
	Footer        string `json:"footer"`  // the "-- Dump completed" line
	Sandbox       bool   `json:"sandbox"` // first line is MariaDB's sandbox marker: clients before 10.5.25/10.6.18/10.11.8 cannot load it

	RawBytes    int64  `json:"raw_bytes"`   // uncompressed dump
	RawSHA256   string `json:"raw_sha256"`  // of the uncompressed dump
	MD5         string `json:"md5"`         // of the uncompressed dump, as the old script logged
	Bytes       int64  `json:"bytes"`       // stored (compressed) size
	SHA256      string `json:"sha256"`      // of the stored file
	Compression string `json:"compression"` // gzip | zstd
	Level       int    `json:"level"`

	Databases  []string     `json:"databases"`
	Tables     []TableCount `json:"tables"`
	Statements int64        `json:"statements"`
	Views      int          `json:"views"`
	Triggers   int          `json:"triggers"`
	Routines   int          `json:"routines"`
	Events     int          `json:"events"`

	// Binlog is where the source's binary log stood at the dump's
	// consistent snapshot, for rolling a restore forward with mysqlbinlog.
	// It is nil when the source writes no binary log, when its state could
	// not be read before the dump, with consistency "none" (there is no
	// snapshot to pin), and in manifests older than the field.
	Binlog *BinlogPosition `json:"binlog,omitempty"`

	// Encryption is set when the artifact is sealed with age after
	// compression: SHA256 and Bytes are then the ciphertext's (what check
	// and ship verify without any key), RawSHA256 and RawBytes the
	// plaintext dump's (what a restore verifies after decrypting). nil
	// for a plaintext artifact.
	Encryption *Encryption `json:"encryption,omitempty"`
}

// Encryption says how an artifact is sealed.
type Encryption struct {
	Scheme string `json:"scheme"` // "age"
	// Recipients are the public keys (age1…, or "ssh-ed25519 AAAA…")
	// the artifact is sealed to: any one matching private key opens it.
	Recipients []string `json:"recipients"`
}

// Sealed reports whether the artifact is encrypted.
func (m *Manifest) Sealed() bool { return m != nil && m.Encryption != nil }

// BinlogPosition is the source's binary log coordinates at the dump's
// snapshot, as the tool wrote them in the dump (--master-data=2 or
// --source-data=2). Replaying the source's binary log from there brings a
// restored dump forward:
//
//	mysqlbinlog --start-position=Position File [later files…]
//
// or, by GTID, MariaDB's `mysqlbinlog --start-position=GTID` and MySQL's
// `mysqlbinlog --exclude-gtids=GTID`.
type BinlogPosition struct {
	File     string `json:"file"`     // e.g. mysql-bin.000003
	Position int64  `json:"position"` // byte offset in File
	// GTID is the GTID state at the snapshot: MariaDB's gtid_slave_pos
	// (e.g. "0-1-42", one entry per domain) or MySQL's gtid_executed set
	// (e.g. "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"). Empty when the
	// dump carried none.
	GTID string `json:"gtid,omitempty"`
}

// TableCount is a table's row count as seen in the dump's INSERT tuples.
type TableCount struct {
	Database string `json:"database"`
	Table    string `json:"table"`
	Rows     int64  `json:"rows"`
}

// Rows returns the total row count.
func (m *Manifest) Rows() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

// DecodeManifest reads a manifest file's contents strictly.
func DecodeManifest(data []byte) (*Manifest, error) {
	var m Manifest
	if err := strictDecode(data, &m); err != nil {
		return nil, err
	}
	if m.V != Version {
		return nil, fmt.Errorf("%w: manifest schema version %d, this build reads %d", ErrMalformed, m.V, Version)
	}
	return &m, nil
}

// EncodeManifest renders a manifest for humans and machines alike.
func EncodeManifest(m *Manifest) []byte {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("job: encode manifest: %v", err))
	}
	return append(b, '\n')
}
