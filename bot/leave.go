package bot

import (
	"fmt"
	"slices"
	"strings"

	"planbot"
	"planbot/intake"
)

// Leave (请假). A person says 请假到12月15日 (or /leave 12月15日) and gets no
// reminders until then; 销假 (/leave off) ends it early. A leader or the
// office may register it for someone who cannot: /leave sun_cun 12月15日
// (or the person's name). Chat leaves are in the database; those the
// office wrote in the YAML can only be changed there.

const leaveUsage = "登记请假，例如：\n" +
	"• <code>请假到12月15日</code>\n" +
	"• <code>我12月10日到15日请假</code>\n" +
	"• <code>请假3天</code> · <code>明天请假</code>\n" +
	"提前结束请发：<code>销假</code>"

// leaveText takes a private message that is a leave or a 销假 before
// anything else could read it as a note or an answer.
func (b *Bot) leaveText(c *call) (bool, error) {
	if len(c.m.PhotoIDs) > 0 || !intake.MaybeLeave(c.m.Text) {
		return false, nil
	}
	in := intake.Understand(c.m.Text, intake.Context{Plan: c.plan, Owned: c.ownedOpen(), Today: c.today(), ReplyText: c.m.ReplyText})
	if in.Kind != intake.IntentLeave && in.Kind != intake.IntentLeaveEnd {
		return false, nil
	}
	return true, b.onLeave(c, c.me, in)
}

// leaveCmd is /leave (/请假) [person] [span | off].
func (b *Bot) leaveCmd(c *call, args string) error {
	who := c.me
	args = strings.TrimSpace(args)
	if head, tail, _ := strings.Cut(args, " "); head != "" {
		if p, ok := c.personNamed(head); ok && p.Key != c.me.Key {
			if !c.me.Has(planbot.RoleLeader) && !c.me.Has(planbot.RoleAdmin) {
				c.say("只有领导和党政办可以为别人登记请假；请让本人发送，例如：请假到12月15日")
				return nil
			}
			who, args = p, strings.TrimSpace(tail)
		}
	}
	if args == "" {
		return c.leaveStatus(who)
	}
	in, ok := intake.ReadLeave(args, c.plan.Year, c.today())
	if !ok {
		c.say("没看懂请假的日期。" + leaveUsage)
		return nil
	}
	return b.onLeave(c, who, in)
}

// personNamed finds a person by key or by name.
func (c *call) personNamed(s string) (planbot.Person, bool) {
	for _, p := range c.plan.People {
		if p.Key == s || p.Name == s {
			return p, true
		}
	}
	return planbot.Person{}, false
}

func (b *Bot) onLeave(c *call, who planbot.Person, in intake.Intent) error {
	switch {
	case in.Problem != "":
		c.say("⚠️ " + esc(in.Problem) + "\n" + leaveUsage)
		return nil
	case in.Kind == intake.IntentLeaveEnd:
		return c.endLeave(who)
	case in.Leave == nil:
		c.say(leaveUsage)
		return nil
	}
	l := *in.Leave
	l.Person, l.Source, l.At = who.Key, planbot.LeaveFromChat, c.now
	// The newest word about those days holds: what was said before for
	// them (a leave under way, one to come) gives way to this span.
	if _, err := c.s.EndLeave(c.ctx, who.Key, l.From); err != nil {
		return err
	}
	if _, err := c.s.AddLeave(c.ctx, l); err != nil {
		return err
	}
	if err := c.audit("leave", fmt.Sprintf("%s %s %s %s", who.Key, l.From, l.To, l.Note)); err != nil {
		return err
	}
	span := leaveSpanText(l, c.plan.Year)
	if who.Key == c.me.Key {
		c.say(fmt.Sprintf("已登记请假：%s。期间不再给您发提醒，您的事项在分管领导处标注“请假”。发送 销假 可提前结束。", span))
	} else {
		c.say(fmt.Sprintf("已为%s登记请假：%s。期间不再给其发提醒，其事项在分管领导处标注“请假”。提前结束请发：/leave %s off", esc(who.Name), span, esc(who.Key)))
	}
	return nil
}

func (c *call) endLeave(who planbot.Person) error {
	n, err := c.s.EndLeave(c.ctx, who.Key, c.today())
	if err != nil {
		return err
	}
	self := who.Key == c.me.Key
	if n == 0 {
		// A leave the office wrote in the YAML is the office's to end.
		if l, ok := planbot.OnLeave(c.plan.Leaves, who.Key, c.today()); ok {
			c.say(fmt.Sprintf("这次请假（%s）是党政办在配置中登记的，请联系党政办销假。", leaveSpanText(l, c.plan.Year)))
			return nil
		}
		if self {
			c.say("您目前没有登记请假，不用销假。")
		} else {
			c.say(fmt.Sprintf("%s目前没有登记请假。", esc(who.Name)))
		}
		return nil
	}
	if err := c.audit("leave_end", who.Key); err != nil {
		return err
	}
	if self {
		c.say("已销假，欢迎回来！提醒恢复正常。发送 /mine 查看您的事项。")
	} else {
		c.say(fmt.Sprintf("已为%s销假，提醒恢复正常。", esc(who.Name)))
	}
	return nil
}

// leaveStatus answers /leave with nothing after it.
func (c *call) leaveStatus(who planbot.Person) error {
	ahead, err := c.leavesAhead(who.Key)
	if err != nil {
		return err
	}
	whose := "您"
	if who.Key != c.me.Key {
		whose = esc(who.Name)
	}
	if len(ahead) == 0 {
		c.say(whose + "目前没有登记请假。\n" + leaveUsage)
		return nil
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s登记的请假：\n", whose)
	for _, l := range ahead {
		fmt.Fprintf(&sb, "• %s", leaveSpanText(l, c.plan.Year))
		if l.Source == planbot.LeaveFromYAML {
			sb.WriteString("（党政办登记）")
		}
		sb.WriteString("\n")
	}
	sb.WriteString("提前结束请发：<code>销假</code>")
	c.say(sb.String())
	return nil
}

// leavesAhead are person's leaves not yet over, from the YAML and from
// chat, soonest first.
func (c *call) leavesAhead(person string) ([]planbot.Leave, error) {
	said, err := c.s.Leaves(c.ctx)
	if err != nil {
		return nil, err
	}
	var out []planbot.Leave
	for _, l := range append(slices.Clip(c.plan.Leaves), said...) {
		if l.Person == person && !l.To.Before(c.today()) {
			out = append(out, l)
		}
	}
	slices.SortStableFunc(out, func(a, b planbot.Leave) int { return a.From.Compare(b.From) })
	return out, nil
}

// leaveLine is the top line of /mine for someone on leave or about to be:
// "您在请假（至12月15日）".
func (c *call) leaveLine() (string, error) {
	ahead, err := c.leavesAhead(c.me.Key)
	if err != nil || len(ahead) == 0 {
		return "", err
	}
	if l, ok := planbot.OnLeave(ahead, c.me.Key, c.today()); ok {
		return fmt.Sprintf("🏖 您在请假（至%s），期间不发提醒。发送 销假 可提前结束。\n", l.To.Short(c.plan.Year)), nil
	}
	return fmt.Sprintf("🏖 您已登记请假：%s。\n", leaveSpanText(ahead[0], c.plan.Year)), nil
}

// leaveSpanText is 12月4日至12月15日, or one day alone.
func leaveSpanText(l planbot.Leave, year int) string {
	if l.From == l.To {
		return l.From.Short(year) + "（1 天）"
	}
	return l.From.Short(year) + "至" + l.To.Short(year)
}
