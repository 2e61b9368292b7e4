package natsconf

import (
	"errors"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// BcryptCost is the cost of the password hashes in the users file. 11 takes
// about 0.1 s per check on a current core: nats-server checks it once per
// connection, so it costs nothing at runtime and slows down guessing.
const BcryptCost = 11

// HashPassword returns the bcrypt hash of password, as nats-server expects in
// a user's password field. One trailing newline is stripped, the same way
// gravedancer reads GD_NATS_PASSWORD_FILE.
func HashPassword(password string, cost int) (string, error) {
	password = strings.TrimSuffix(strings.TrimSuffix(password, "\n"), "\r")
	if password == "" {
		return "", errors.New("empty password")
	}
	if len(password) > 72 {
		return "", errors.New("password longer than 72 bytes (bcrypt ignores the rest)")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}
