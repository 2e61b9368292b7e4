// Package deploy holds gravedancer's deployment files (systemd units, a
// crontab, a compose file with its Dockerfile, and Kubernetes manifests) and
// a test that checks them without network, Docker or a cluster: that every
// manifest parses and hangs together, that they run only commands and stages
// the binary has, that every GD_* variable they use is documented in the
// README's configuration table, that NATS users and password files match
// nats.conf, and, where systemd-analyze is installed, that the units verify.
package deploy
