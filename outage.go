package planbot

import (
	"errors"
	"fmt"
	"time"
)

// What the admins are told when the database cannot be written, whichever
// platform's receiver found it: what to look at, by the kind of outage the
// store's error says it is.
const (
	OutageDiskHint     = "请检查服务器磁盘空间和数据库文件的权限。"
	OutageLockedHint   = "数据库被另一个程序锁住了（备份工具、sqlite3 命令行等）：请结束或等它做完，planbot 会自己接着处理。"
	OutageVanishedHint = "数据库文件被删除或替换了：planbot 不再往里写，以免数据丢失。请按上面英文说明，把 planbot 另存的副本（或最新的备份）放回原处，然后重启 planbot。"
)

// OutageHint is the hint for an outage whose cause is err: a store's
// error says it is a lock (Locked) or a vanished file (Vanished); any
// other is taken for a full or read-only disk.
func OutageHint(err error) string {
	var locked interface{ Locked() bool }
	var vanished interface{ Vanished() bool }
	switch {
	case errors.As(err, &vanished) && vanished.Vanished():
		return OutageVanishedHint
	case errors.As(err, &locked) && locked.Locked():
		return OutageLockedHint
	}
	return OutageDiskHint
}

// AboutDuration says how long, roughly, in Chinese: "不到 1 分钟",
// "25 分钟", "3 小时 10 分钟", "2 天 4 小时".
func AboutDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "不到 1 分钟"
	case d < time.Hour:
		return fmt.Sprintf("%d 分钟", d/time.Minute)
	case d < 24*time.Hour:
		return fmt.Sprintf("%d 小时 %d 分钟", d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%d 天 %d 小时", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}

// WriteOutage is a period during which a platform's receiver could not
// record what it received because the database cannot be written. It
// keeps what every receiver decides the same way: how long to wait before
// trying the held event again, whether that event fails by itself while
// the database takes writes (then it is given up with an apology rather
// than retried forever), and who was already told their message waits.
type WriteOutage struct {
	Since    time.Time
	failures int
	told     map[UserID]bool

	held           string // the event held now
	tries, strikes int    // its failures, and probe writes that succeeded right after one
}

// The poison rule: after probeAfter failures of one event the database is
// probed; strikeLimit successful probes right after its failures mean the
// event, not the database, is at fault.
const (
	probeAfter  = 3
	strikeLimit = 2
	// PoisonAfter is the failure of one event at which it is poison,
	// while the database takes writes.
	PoisonAfter = probeAfter + strikeLimit - 1
)

// NewWriteOutage is an outage that began at since.
func NewWriteOutage(since time.Time) *WriteOutage {
	return &WriteOutage{Since: since, told: map[UserID]bool{}}
}

// Failed notes that event (the platform's id of it) failed again, and
// returns how long to wait before trying it again and whether it is
// poison. probe commits a small write, nil when the database takes one;
// it is called only from the probeAfter-th failure of one event on.
func (o *WriteOutage) Failed(event string, probe func() error) (wait time.Duration, poison bool) {
	o.failures++
	if o.held != event {
		o.held, o.tries, o.strikes = event, 0, 0
	}
	o.tries++
	if o.tries >= probeAfter {
		if probe() != nil {
			o.strikes = 0 // the database itself is out: wait, however long
		} else {
			o.strikes++
		}
	}
	return BackoffJitter(o.failures), o.strikes >= strikeLimit
}

// Tries is how often the held event has failed.
func (o *WriteOutage) Tries() int { return o.tries }

// Told reports whether u was told their message waits: a receiver asks
// before it reads whether u is on the list at all.
func (o *WriteOutage) Told(u UserID) bool { return o.told[u] }

// Tell reports whether u is to be told now that their message waits:
// true once per outage.
func (o *WriteOutage) Tell(u UserID) bool {
	if u == "" || o.told[u] {
		return false
	}
	o.told[u] = true
	return true
}
