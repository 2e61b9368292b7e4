package sqldump

import (
	"fmt"
	"io"
)

// TableCount is the number of rows a dump inserts into one table.
type TableCount struct {
	Database, Table string
	Rows            int64
}

// Summary is what Count learns from a whole dump.
type Summary struct {
	Header    Header
	Footer    Footer
	HasFooter bool
	// Databases in order of appearance (CREATE DATABASE, Current Database
	// sections, USE).
	Databases []string
	// Tables holds every CREATE TABLE seen (Rows 0 if no INSERT) plus rows
	// from INSERTs, in order of first appearance. A CREATE TABLE that is
	// only the placeholder older mysqldump writes for a view is dropped once
	// the view itself is created.
	Tables []TableCount
	// Statements counts every statement Next returned, DELIMITER lines
	// included.
	Statements int64
	// Views counts distinct views: mysqldump creates each view twice (a
	// placeholder, then the real definition). Triggers, Routines and Events
	// count CREATE statements, which mysqldump writes once per object.
	Views, Triggers, Routines, Events int
	// Binlog is the source's binary log position at the dump's snapshot
	// when the tool wrote one (--master-data=2 / --source-data=2), with the
	// GTID state if the dump carried it; nil otherwise.
	Binlog *BinlogPosition
}

// Count consumes r to the end and returns the summary; it is the sink of an
// io.Pipe/TeeReader in the dump stage. It reads r to the end even on error so
// that a writer feeding it never blocks; the summary then covers what was
// understood before the error.
func Count(r io.Reader) (*Summary, error) {
	return count(NewScanner(r, Options{}))
}

func count(s *Scanner) (*Summary, error) {
	c := newCounter()
	s.onDatabase = c.database
	for {
		st, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			_, _ = io.Copy(io.Discard, s.br)
			c.finish(s)
			return c.sum, fmt.Errorf("sqldump: count: %w", err)
		}
		c.add(st)
	}
	c.finish(s)
	c.sum.Footer, c.sum.HasFooter = s.Footer()
	return c.sum, nil
}

// finish copies what the scanner gathered outside the statements.
func (c *counter) finish(s *Scanner) {
	c.sum.Header = s.Header()
	if b, ok := s.Binlog(); ok {
		c.sum.Binlog = &b
	}
}

type tableKey struct{ db, table string }

type counter struct {
	sum    *Summary
	dbs    map[string]bool
	tables map[tableKey]int // index into sum.Tables
	views  map[tableKey]bool
}

func newCounter() *counter {
	return &counter{
		sum:    &Summary{},
		dbs:    map[string]bool{},
		tables: map[tableKey]int{},
		views:  map[tableKey]bool{},
	}
}

func (c *counter) add(st *Statement) {
	c.sum.Statements++
	switch st.Kind {
	case KindCreateDatabase:
		c.database(st.Database)
	case KindCreateTable:
		c.table(st.Database, st.Table)
	case KindInsert:
		c.sum.Tables[c.table(st.Database, st.Table)].Rows += st.Rows
	case KindCreateView:
		if c.newView(st.Database, st.Table) {
			c.sum.Views++
			c.dropPlaceholder(st.Database, st.Table)
		}
	case KindCreateTrigger:
		c.sum.Triggers++
	case KindCreateRoutine:
		c.sum.Routines++
	case KindCreateEvent:
		c.sum.Events++
	}
}

func (c *counter) database(db string) {
	if db != "" && !c.dbs[db] {
		c.dbs[db] = true
		c.sum.Databases = append(c.sum.Databases, db)
	}
}

// table returns the index of a table's entry, adding it if new.
func (c *counter) table(db, table string) int {
	k := tableKey{db, table}
	if i, ok := c.tables[k]; ok {
		return i
	}
	c.tables[k] = len(c.sum.Tables)
	c.sum.Tables = append(c.sum.Tables, TableCount{Database: db, Table: table})
	return len(c.sum.Tables) - 1
}

// newView reports whether a view has not been seen before.
func (c *counter) newView(db, name string) bool {
	k := tableKey{db, name}
	if c.views[k] {
		return false
	}
	c.views[k] = true
	return true
}

// dropPlaceholder removes the empty stand-in table older mysqldump versions
// create for a view before the view itself.
func (c *counter) dropPlaceholder(db, name string) {
	i, ok := c.tables[tableKey{db, name}]
	if !ok || c.sum.Tables[i].Rows != 0 {
		return
	}
	c.sum.Tables = append(c.sum.Tables[:i], c.sum.Tables[i+1:]...)
	delete(c.tables, tableKey{db, name})
	for j := i; j < len(c.sum.Tables); j++ {
		c.tables[tableKey{c.sum.Tables[j].Database, c.sum.Tables[j].Table}] = j
	}
}
