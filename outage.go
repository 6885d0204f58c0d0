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
