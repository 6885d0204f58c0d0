package bot

import (
	"fmt"
	"strings"

	"planbot/intake"
)

// edited handles a message its sender edited after sending it, as people
// do to fix a typo. The edit of a report corrects that report, figures or
// words, while it is still the item's newest and within the undo window:
// a new row that supersedes it, so history shows both. The edit of a
// message that made no report (one the bot did not understand, say) is
// read as a new message. An edited command is not run again.
func (b *Bot) edited(c *call) error {
	if isCommand(c.m.Text) {
		return nil
	}
	orig, ok, err := c.s.ReportFromMessage(c.ctx, c.m.ChatID, c.m.MessageID)
	if err != nil {
		return err
	}
	if !ok {
		c.m.Edited = false
		return b.dispatch(c)
	}
	rs, err := c.s.ItemReports(c.ctx, orig.ItemCode)
	if err != nil {
		return err
	}
	cur, standing := standing(rs, orig.ID, c.me.Key)
	if _, inPlan := c.plan.Item(orig.ItemCode); !standing || !inPlan {
		c.say(fmt.Sprintf("您修改了 %s 的汇报，但这条汇报已撤回或已有更正，这次修改没有记录。如需更正，请直接发送正确的进度。", esc(orig.ItemCode)))
		return nil
	}
	if c.now.Sub(orig.At) > b.cfg.UndoWindow {
		c.say(fmt.Sprintf("您修改了 %s 的汇报，但已超过 %s 的修改时限，这次修改没有记录。如需更正，请直接发送正确的进度。", esc(orig.ItemCode), humanDuration(b.cfg.UndoWindow)))
		return nil
	}
	if in := intake.Read(c.m.Text, c.plan, c.ownedOpen(), c.today()); in.Kind == intake.IntentItemReport && in.Items[0] != cur.ItemCode {
		c.say(fmt.Sprintf("修改后的内容是 %s 的汇报，不是原来的 %s，这次修改没有记录。汇报别的事项请发送新消息。", esc(in.Items[0]), esc(cur.ItemCode)))
		return nil
	}
	in := intake.ReadAs(c.m.Text, c.plan, intake.IntentItemReport, cur.ItemCode, c.today())
	if in.Problem != "" {
		c.say("⚠️ 修改后的内容有问题：" + esc(in.Problem) + "\n这次修改没有记录，原汇报不变。")
		return nil
	}
	d := draftOf(in, c.m)
	if d.Percent == nil && !d.Done && d.Amount == nil {
		// Words only: the note is corrected, the figures stay.
		d.Percent, d.Done, d.Amount = cur.Percent, cur.Done, cur.Value
	}
	if d.AsOf == nil {
		d.AsOf = cur.AsOf
	}
	d.Note = strings.TrimSpace(d.Note)
	d.Photos, d.Corrects, d.MediaGroup = cur.PhotoIDs, cur.ID, ""
	return b.recordItem(c, cur.ItemCode, d)
}
