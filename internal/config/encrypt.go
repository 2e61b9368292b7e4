package config

import (
	"gravedancer/internal/seal"
)

// Values of GD_ENCRYPT.
const (
	EncryptOn  = "on"
	EncryptOff = "off"
)

// validateEncrypt checks the encryption settings every process shares:
// the value of GD_ENCRYPT, and that each key file named is readable and
// holds keys. Whether a dump worker may write plaintext is
// ValidateDumpEncryption's business.
func (c *Config) validateEncrypt() error {
	switch c.Encrypt {
	case "", EncryptOn, EncryptOff:
	default:
		return errf("ENCRYPT", "%q is not one of on, off", c.Encrypt)
	}
	switch {
	case c.Encrypt == EncryptOn && c.EncryptRecipientsFile == "":
		return errf("ENCRYPT_RECIPIENTS_FILE", "required with GD_ENCRYPT=on: a file of age public keys (age1…), one per line")
	case c.Encrypt == EncryptOff && c.EncryptRecipientsFile != "":
		return errf("ENCRYPT", "is off but GD_ENCRYPT_RECIPIENTS_FILE is set: unset one of them")
	}
	if _, err := c.Recipients(); err != nil {
		return err
	}
	if _, err := c.Identities(); err != nil {
		return err
	}
	return nil
}

// ValidateDumpEncryption is for processes that run the dump stage: without
// recipients they write plaintext only when GD_ENCRYPT=off says so.
func (c *Config) ValidateDumpEncryption() error {
	if c.EncryptRecipientsFile == "" && c.Encrypt != EncryptOff {
		return errf("ENCRYPT_RECIPIENTS_FILE", "not set: dump workers seal every backup to age recipients; "+
			"set it to a file of public keys (age1…, see README \"Encryption\"), or set GD_ENCRYPT=off to write plaintext backups")
	}
	return nil
}

// Recipients loads GD_ENCRYPT_RECIPIENTS_FILE; nil when it is not set.
func (c *Config) Recipients() (*seal.Recipients, error) {
	if c.EncryptRecipientsFile == "" {
		return nil, nil
	}
	rs, err := seal.LoadRecipients(c.EncryptRecipientsFile)
	if err != nil {
		return nil, errf("ENCRYPT_RECIPIENTS_FILE", "%v", err)
	}
	return rs, nil
}

// Identities loads GD_DECRYPT_IDENTITY_FILE; nil when it is not set.
func (c *Config) Identities() (*seal.Identities, error) {
	if c.DecryptIdentityFile == "" {
		return nil, nil
	}
	ids, err := seal.LoadIdentities(c.DecryptIdentityFile)
	if err != nil {
		return nil, errf("DECRYPT_IDENTITY_FILE", "%v", err)
	}
	return ids, nil
}
