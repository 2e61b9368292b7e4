// Package natsconf tests the production nats.conf against the real
// nats-server binary: the config is valid, every user holds the rights its
// role needs and no more, and the pipeline runs end to end with one NATS user
// per stage. It also holds the bcrypt helper deploy/nats/gen-users.sh uses.
package natsconf
