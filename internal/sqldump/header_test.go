package sqldump

import (
	"strings"
	"testing"
)

func TestParseHeader(t *testing.T) {
	mariadb := Header{
		Sandbox:       true,
		Tool:          "MariaDB dump",
		ToolVersion:   "10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)",
		Host:          "127.0.0.1",
		Database:      "t1",
		ServerVersion: "10.11.19-MariaDB-0+deb12u1",
	}
	tests := []struct {
		name   string
		in     string
		want   Header
		wantOK bool
	}{
		{"mariadb-dump with sandbox line",
			"/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n--\n-- Host: 127.0.0.1    Database: t1\n-- ------------------------------------------------------\n-- Server version\t10.11.19-MariaDB-0+deb12u1\n\n/*!40101 SET NAMES utf8mb4 */;\n",
			mariadb, true},
		{"CRLF",
			"/*M!999999\\- enable the sandbox mode */\r\n-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\r\n--\r\n-- Host: 127.0.0.1    Database: t1\r\n-- Server version\t10.11.19-MariaDB-0+deb12u1\r\n",
			mariadb, true},
		{"mysqldump",
			"-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: localhost    Database: \n-- Server version\t8.0.36\n",
			Header{Tool: "MySQL dump", ToolVersion: "10.13  Distrib 8.0.36, for Linux (x86_64)", Host: "localhost", ServerVersion: "8.0.36"}, true},
		{"compact dump has no header",
			"/*M!999999\\- enable the sandbox mode */ \n/*!40101 SET @saved_cs_client = @@character_set_client */;\n",
			Header{Sandbox: true}, false},
		{"header lines after the first statement do not count",
			"SET a=1;\n-- MySQL dump 10.13\n",
			Header{}, false},
		{"window cut inside the header",
			"-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n-- Host: db1    Datab",
			Header{Tool: "MariaDB dump", ToolVersion: "10.19  Distrib 10.11.19-MariaDB", Host: "db1    Datab"}, true},
		{"empty", "", Header{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseHeader([]byte(tt.in))
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("got %+v, %v\nwant %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParseFooter(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   Footer
		wantOK bool
	}{
		{"with date", "UNLOCK TABLES;\n\n-- Dump completed on 2026-11-27 23:59:59\n", Footer{Completed: "2026-11-27 23:59:59"}, true},
		{"without date", "/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;\n\n-- Dump completed\n", Footer{}, true},
		{"CRLF and trailing blank lines", "x;\r\n-- Dump completed on 2026-11-27 23:59:59\r\n\r\n\r\n", Footer{Completed: "2026-11-27 23:59:59"}, true},
		{"no newline at end", "-- Dump completed on 2026-11-27 23:59:59", Footer{Completed: "2026-11-27 23:59:59"}, true},
		{"footer not last", "-- Dump completed on 2026-11-27\nINSERT INTO t VALUES (1);\n", Footer{}, false},
		{"truncated dump", "INSERT INTO t VALUES (1),\n(2,", Footer{}, false},
		{"similar line", "-- Dump completedness\n", Footer{}, false},
		{"empty", "", Footer{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseFooter([]byte(tt.in))
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("got %+v, %v, want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// The Scanner must agree with ParseFooter on what counts as a footer.
func TestScannerFooter(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   Footer
		wantOK bool
	}{
		{"footer last", "SELECT 1;\n-- Dump completed on 2026-11-27 23:59:59\n\n", Footer{Completed: "2026-11-27 23:59:59"}, true},
		{"footer at end of input without newline", "SELECT 1;\n-- Dump completed", Footer{}, true},
		{"statement after footer", "-- Dump completed on 2026-11-27\nSELECT 1;\n", Footer{}, false},
		{"no footer", "SELECT 1;\n", Footer{}, false},
		{"footer text inside a statement", "SELECT 1\n-- Dump completed on 2026-11-27\n;", Footer{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, s, err := collect(strings.NewReader(tt.in), Options{}, 10)
			if err != nil {
				t.Fatalf("scan: %v", err)
			}
			got, ok := s.Footer()
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Scanner.Footer() = %+v, %v, want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
			pf, pok := ParseFooter([]byte(tt.in))
			if pf != got || pok != ok {
				t.Errorf("ParseFooter = %+v, %v, Scanner.Footer = %+v, %v", pf, pok, got, ok)
			}
		})
	}
}
