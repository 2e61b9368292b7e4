// Command bcrypt prints the bcrypt hash of the password read from stdin, for
// the nats.conf users file (deploy/nats/gen-users.sh runs it). The password
// is read from stdin, never from argv, so it does not show in ps; one
// trailing newline is stripped.
//
//	printf '%s' "$pw" | go run ./internal/natsconf/bcrypt [-cost 11]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"gravedancer/internal/natsconf"
)

func main() {
	cost := flag.Int("cost", natsconf.BcryptCost, "bcrypt cost (nats-server accepts 10 and up)")
	flag.Parse()
	pw, err := io.ReadAll(io.LimitReader(os.Stdin, 1024))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bcrypt: read stdin:", err)
		os.Exit(1)
	}
	h, err := natsconf.HashPassword(string(pw), *cost)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bcrypt:", err)
		os.Exit(1)
	}
	fmt.Println(h)
}
