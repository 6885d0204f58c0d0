package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"sync"
	"syscall"

	"planbot"
)

// The sent log: how the sender records, between two claims, that the
// platform took a message.
//
// The sender records each message the platform took before it makes its
// next request, so that a process killed at any moment sends at most the
// one message in flight again. Recording it in SQLite was a write
// transaction per reply (BEGIN IMMEDIATE, an UPDATE of the outbox row and
// its lane index, COMMIT: WAL frames and locks), a fifth of `planbot run`'s
// CPU per report (issue 15, docs/BENCHMARKS.md). The sent log is a file
// beside the database (<db>-sent, as SQLite keeps <db>-wal) to which
// each such record is appended with one write(2): as durable against a
// crash of the process as a commit with synchronous=NORMAL, whose pages
// also only reach the operating system's cache.
//
// The records are folded into the outbox (the rows marked sent) in the
// transaction of the sender's next claim, and by the sender's other
// writes that read or change messages in flight (Unclaim, FailChat,
// RetargetChat, RequeueInFlight at start, which thus never puts back a
// message the platform took). Until then such a message shows in flight
// to other readers, planbot outbox among them; its chat gets nothing else
// meanwhile, which is what a claim expects. Only the process that sends
// (it holds the instance lock) appends and folds.
//
// A record is 32 bytes: the message's id, the platform's message id and
// the time (Unix seconds) as little-endian int64s, then a CRC-32 of those
// 24 bytes and a magic number. A record cut short by a crash, or damaged,
// ends the log: what follows it is not read.
type sentLog struct {
	path string

	mu   sync.Mutex
	f    *os.File // opened at the first append; nil before
	size int64    // of the file, as this process wrote it
	// broken: an append failed and could not be cut off; appends fail
	// until a fold empties the log.
	broken bool
}

const (
	sentRecordSize  = 32
	sentRecordMagic = 0x544e4553 // "SENT"
)

func newSentLog(dbPath string) *sentLog { return &sentLog{path: dbPath + "-sent"} }

// appendSent appends d's records. An error means none may be relied on:
// the caller records them in the database instead (a record written
// twice folds once).
func (l *sentLog) appendSent(d []planbot.Delivered) error {
	buf := make([]byte, 0, sentRecordSize*len(d))
	for _, x := range d {
		var rec [sentRecordSize]byte
		binary.LittleEndian.PutUint64(rec[0:], uint64(x.ID))
		binary.LittleEndian.PutUint64(rec[8:], uint64(int64(x.SentMessageID)))
		binary.LittleEndian.PutUint64(rec[16:], uint64(unix(x.At)))
		binary.LittleEndian.PutUint32(rec[24:], crc32.ChecksumIEEE(rec[:24]))
		binary.LittleEndian.PutUint32(rec[28:], sentRecordMagic)
		buf = append(buf, rec[:]...)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.broken {
		return errors.New("the sent log is damaged until the next claim empties it")
	}
	if l.f == nil {
		f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("open the sent log: %w", err)
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("open the sent log: %w", err)
		}
		l.f, l.size = f, st.Size()
	}
	if _, err := l.f.Write(buf); err != nil {
		// Part of it may be written (a full disk): cut it off, or a later
		// record would sit behind a damaged one, which ends the log. If
		// that fails too, no record goes here until the next fold.
		if terr := l.f.Truncate(l.size); terr != nil {
			l.f.Close()
			l.f = nil
			l.broken = true
		}
		return fmt.Errorf("append to the sent log %s: %w", l.path, err)
	}
	l.size += int64(len(buf))
	return nil
}

// read is the log's records, up to the first that is cut short or
// damaged, and how many bytes it holds. There are none when there is no
// log, or when something else than a file stands in its place: nothing
// could be appended to it (appendSent fails, and the records go to the
// outbox at once).
func (l *sentLog) read() (recs []planbot.Delivered, n int, err error) {
	data, err := os.ReadFile(l.path)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.EISDIR) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read the sent log: %w", err)
	}
	n = len(data)
	for len(data) >= sentRecordSize {
		rec := data[:sentRecordSize]
		data = data[sentRecordSize:]
		if binary.LittleEndian.Uint32(rec[28:]) != sentRecordMagic || binary.LittleEndian.Uint32(rec[24:]) != crc32.ChecksumIEEE(rec[:24]) {
			break
		}
		recs = append(recs, planbot.Delivered{
			ID:            int64(binary.LittleEndian.Uint64(rec[0:])),
			SentMessageID: int(int64(binary.LittleEndian.Uint64(rec[8:]))),
			At:            fromUnix(int64(binary.LittleEndian.Uint64(rec[16:]))),
		})
	}
	return recs, n, nil
}

// close closes the log's file; its records stay for the next fold.
func (l *sentLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// markDelivered marks delivered messages sent. A message no longer in
// flight (its chat was given up meanwhile, or a record folded twice) is
// left as it is.
func markDelivered(ctx context.Context, tx *txn, delivered []planbot.Delivered) error {
	for _, d := range delivered {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET `+markSent+` WHERE id = ? AND status = 'sending'`,
			nullInt(int64(d.SentMessageID)), unix(d.At), d.ID); err != nil {
			return fmt.Errorf("mark message %d sent: %w", d.ID, err)
		}
	}
	return nil
}

// inTxFolding is inTx for the sender's writes: the sent log's records are
// marked sent first in the same transaction, and the log is emptied once
// it commits. With fn nil it only folds, and an empty log costs no
// transaction. Appends wait meanwhile, so that none made between the read
// and the truncation is lost.
func (db *DB) inTxFolding(ctx context.Context, fn func(tx *txn) error) error {
	if db.sent == nil {
		if fn == nil {
			return nil
		}
		return db.inTx(ctx, fn)
	}
	l := db.sent
	l.mu.Lock()
	defer l.mu.Unlock()
	recs, n, err := l.read()
	if err != nil || (n == 0 && fn == nil) {
		return err
	}
	if fn == nil {
		fn = func(*txn) error { return nil }
	}
	err = db.inTx(ctx, func(tx *txn) error {
		if err := markDelivered(ctx, tx, recs); err != nil {
			return err
		}
		return fn(tx)
	})
	if err != nil || n == 0 {
		return err
	}
	// Committed: the records are in the outbox (and what follows a damaged
	// one is lost: see sentLog). Left in the log (the truncation failed),
	// they fold again to no effect.
	if err := os.Truncate(l.path, 0); err != nil {
		return fmt.Errorf("empty the sent log %s: %w", l.path, err)
	}
	l.size, l.broken = 0, false
	return nil
}

// FoldSent marks sent in the outbox what the sent log holds, and empties
// it: the sender does at its stop, so that what an operator reads of the
// outbox afterwards is whole.
func (db *DB) FoldSent(ctx context.Context) error {
	if err := db.inTxFolding(ctx, nil); err != nil {
		return fmt.Errorf("record the messages sent: %w", err)
	}
	return nil
}
