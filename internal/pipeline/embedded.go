package pipeline

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Embedded is an in-process JetStream server for the one-shot backup and the
// demo: no setup, store under the state dir.
type Embedded struct {
	srv *server.Server
}

// StartEmbedded starts JetStream with its store in <stateDir>/jetstream. With
// listen empty it opens no port at all — clients connect in-process — so it
// cannot collide with a nats-server already on 4222.
func StartEmbedded(stateDir, listen string) (*Embedded, error) {
	opts := &server.Options{
		ServerName: "gravedancer-embedded",
		JetStream:  true,
		StoreDir:   filepath.Join(stateDir, "jetstream"),
		NoLog:      true,
		NoSigs:     true,
		DontListen: listen == "",
	}
	if listen != "" {
		host, port, err := net.SplitHostPort(listen)
		if err != nil {
			return nil, fmt.Errorf("embedded nats listen %q: %w", listen, err)
		}
		opts.Host = host
		if opts.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("embedded nats listen %q: bad port", listen)
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded nats: not ready after 30s (store %s)", opts.StoreDir)
	}
	return &Embedded{srv: srv}, nil
}

// Connect opens an in-process client connection.
func (e *Embedded) Connect(name string) (*nats.Conn, error) {
	nc, err := nats.Connect("", nats.InProcessServer(e.srv), nats.Name(name))
	if err != nil {
		return nil, fmt.Errorf("connect embedded nats: %w", err)
	}
	return nc, nil
}

// Shutdown stops the server and waits until its store is closed.
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}
