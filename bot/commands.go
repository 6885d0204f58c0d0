package bot

import (
	"fmt"
	"slices"
	"strings"

	"planbot"
	"planbot/intake"
)

// command is one chat command with its English and Chinese names.
type command struct {
	en, zh string
	args   string // shown in /help
	desc   string
	roles  []planbot.Role // nil: every registered person
	run    func(b *Bot, c *call, args string) error
}

func (cmd command) allowed(p planbot.Person) bool {
	if cmd.roles == nil {
		return true
	}
	return slices.ContainsFunc(cmd.roles, p.Has)
}

func (cmd command) who() string {
	var parts []string
	for _, r := range cmd.roles {
		parts = append(parts, roleName(r))
	}
	return strings.Join(parts, "和")
}

func roleName(r planbot.Role) string {
	switch r {
	case planbot.RoleAdmin:
		return "党政办管理员"
	case planbot.RoleLeader:
		return "领导"
	}
	return "干部"
}

var leadersAndAdmins = []planbot.Role{planbot.RoleLeader, planbot.RoleAdmin}

// commandList is filled in init to break the cycle between the table and
// /help, which lists the table.
var commandList []command

func init() {
	commandList = []command{
		{en: "mine", zh: "我的", desc: "我的事项：状态、截止日期、最近汇报", run: (*Bot).mine},
		{en: "report", zh: "汇报", args: "编号 进度% 说明", desc: "汇报进度，如 /report 2.3 60% 已签约；只发 /report 会一步步引导", run: (*Bot).report},
		{en: "done", zh: "完成", args: "编号", desc: "报告事项已完成", run: (*Bot).done},
		{en: "value", zh: "填报", args: "指标 数值", desc: "填报指标，如 /value 固定资产投资 3.2亿", run: (*Bot).value},
		{en: "leave", zh: "请假", args: "[到哪天 | off]", desc: "登记请假，如 /leave 12月15日（请假到12月15日）；/leave off 销假", run: (*Bot).leaveCmd},
		{en: "undo", zh: "撤回", desc: "撤回我最近的一条汇报或填报", run: (*Bot).undo},
		{en: "plan", zh: "计划", args: "[板块]", desc: "各板块进展；加板块编号看其中事项", run: (*Bot).planCmd},
		{en: "item", zh: "事项", args: "编号", desc: "一个事项的详情和汇报记录", run: (*Bot).item},
		{en: "targets", zh: "指标", desc: "重点指标：完成率与时间进度（时间过半、任务过半）", run: (*Bot).targets},
		{en: "overdue", zh: "逾期", desc: "逾期事项", run: (*Bot).overdue},
		{en: "digest", zh: "周报", desc: "本周周报：进展、逾期、风险、指标、未汇报的人", roles: leadersAndAdmins, run: (*Bot).digest},
		{en: "unreported", zh: "未汇报", desc: "本周还未汇报的人", roles: leadersAndAdmins, run: (*Bot).unreported},
		{en: "export", zh: "导出", desc: "导出工作台账（Excel）", roles: leadersAndAdmins, run: (*Bot).export},
		{en: "reload", zh: "重载", desc: "重新读取配置文件", roles: []planbot.Role{planbot.RoleAdmin}, run: (*Bot).reload},
		{en: "help", zh: "帮助", desc: "用法说明", run: (*Bot).help},
	}
}

// CommandInfo is a command as a platform's adapter lists it in the
// platform's command menu.
type CommandInfo struct{ Command, Description string }

// Commands lists the English commands for a platform's command menu: menus
// take only ASCII names (Telegram's [a-z0-9_]), so the Chinese names are
// understood as text and shown in each description.
func Commands() []CommandInfo {
	out := []CommandInfo{}
	for _, cmd := range commandList {
		out = append(out, CommandInfo{Command: cmd.en, Description: cmd.zh + " · " + cmd.desc})
	}
	return out
}

func commandByName(name string) (command, bool) {
	for _, cmd := range commandList {
		if cmd.en == name || cmd.zh == name {
			return cmd, true
		}
	}
	return command{}, false
}

// parsedCommand is what a message asks as a command.
type parsedCommand struct {
	name, args string
	ok         bool // a command for this bot
	// otherBot: /cmd@SomeOtherBot, for another bot in the group.
	otherBot bool
}

// command reads the message as a command, if it is one for this bot:
//
//   - "/report 2.3 60%", "/汇报 2.3" and, when the bot knows its own name
//     (SetSelf), "/report@ThisBot 2.3"; "/report@OtherBot" is another
//     bot's. A bare "/report" in a group is taken as ours: Telegram, for
//     one, delivers a bare command to a bot in privacy mode only when it
//     is the one the group last heard from, and its own menu adds the
//     @name when the group has several bots.
//   - In a private chat, a Chinese command word with no slash ("我的",
//     "汇报 2.3 60%", "计划 2") when what follows fits the command's
//     arguments; "计划 下周再讨论吧" is a sentence, for the free-text intake.
//   - In a group, never a Chinese word without a slash: people say 完成
//     and 计划 to each other.
//   - "@ThisBot /report 2.3" is "/report 2.3": a platform that hands the
//     bot only the group messages that mention it (WeCom) brings every
//     command so.
func (c *call) command(b *Bot) parsedCommand {
	t := strings.TrimSpace(c.m.Text)
	me := c.botSelf(b)
	if me.username != "" {
		if n, ok := prefixFold(t, "@"+me.username); ok && strings.HasPrefix(strings.TrimSpace(t[n:]), "/") {
			t = strings.TrimSpace(t[n:])
		}
	}
	if strings.HasPrefix(t, "/") {
		word, rest, _ := strings.Cut(t[1:], " ")
		if i := strings.IndexAny(word, "\n"); i >= 0 {
			word, rest = word[:i], word[i+1:]+" "+rest
		}
		word, to, _ := strings.Cut(word, "@")
		if to != "" && me.username != "" && !strings.EqualFold(to, me.username) {
			return parsedCommand{otherBot: true}
		}
		return parsedCommand{name: strings.ToLower(word), args: strings.TrimSpace(rest), ok: true}
	}
	if c.m.Chat != ChatPrivate {
		return parsedCommand{}
	}
	word, rest, _ := strings.Cut(t, " ")
	rest = strings.TrimSpace(rest)
	for _, cmd := range commandList {
		if word == cmd.zh && c.fitsArgs(cmd, rest) {
			// "完成" alone is /done; "完成 2.3" too. But "汇报：…" is text.
			return parsedCommand{name: cmd.en, args: rest, ok: true}
		}
	}
	return parsedCommand{}
}

// fitsArgs: rest (after a Chinese command word) is what the command takes,
// so the message is that command and not a sentence starting with the word.
func (c *call) fitsArgs(cmd command, rest string) bool {
	if rest == "" {
		return true
	}
	first, _, _ := strings.Cut(rest, " ")
	first = strings.TrimRight(first, "，,。.：:")
	switch cmd.en {
	case "plan":
		code := strings.Trim(rest, "【】[]（）()")
		if _, ok := c.plan.Section(code); ok {
			return true
		}
		for _, s := range c.plan.Sections {
			if strings.Contains(s.Title, code) {
				return true
			}
		}
		return false
	case "item", "done", "report":
		_, ok := c.findItem(first)
		return ok
	case "value":
		return strings.ContainsAny(rest, "0123456789")
	case "leave":
		_, ok := intake.ReadLeave(rest, c.plan.Year, c.today())
		return ok
	}
	return false // the command takes nothing
}

// splitCommand is the syntax alone (see call.command for what is run): it
// recognises "/report 2.3 60%", "/report@planbot 2.3",
// "/汇报 2.3" and a bare Chinese command name at the start of a message
// ("汇报 2.3 60%", "我的"). "start" is reported like any other name.
func splitCommand(text string) (name, args string, ok bool) {
	t := strings.TrimSpace(text)
	if strings.HasPrefix(t, "/") {
		word, rest, _ := strings.Cut(t[1:], " ")
		if i := strings.IndexAny(word, "\n"); i >= 0 {
			word, rest = word[:i], word[i+1:]+" "+rest
		}
		word, _, _ = strings.Cut(word, "@")
		return strings.ToLower(word), strings.TrimSpace(rest), true
	}
	word, rest, _ := strings.Cut(t, " ")
	for _, cmd := range commandList {
		if word == cmd.zh {
			// "完成" alone is /done; "完成 2.3" too. But "汇报：…" is text.
			return cmd.en, strings.TrimSpace(rest), true
		}
	}
	return "", "", false
}

func isCommand(text string) bool {
	_, _, ok := splitCommand(text)
	return ok
}

func (b *Bot) help(c *call, _ string) error {
	var sb strings.Builder
	sb.WriteString("<b>工作计划督办助手</b>\n")
	sb.WriteString("直接发一句话就能汇报，例如：\n")
	sb.WriteString("• <code>2.3 进度60% 已与XX酒店签约</code>\n")
	sb.WriteString("• <code>2.3 完成</code>\n")
	sb.WriteString("• <code>固定资产投资 累计3.2亿</code>\n")
	sb.WriteString("• <code>2.3 60% @3月15日</code>（补报过去某天的进度）\n")
	sb.WriteString("• 发照片并在说明里写进度，照片作为佐证材料保存\n\n")
	sb.WriteString("<b>命令</b>（中英文均可）\n")
	for _, cmd := range commandList {
		if !cmd.allowed(c.me) {
			continue
		}
		args := ""
		if cmd.args != "" {
			args = " " + esc(cmd.args)
		}
		fmt.Fprintf(&sb, "/%s 或 %s%s — %s\n", cmd.en, cmd.zh, args, esc(cmd.desc))
	}
	sb.WriteString("\n<b>状态标记</b>\n")
	for _, s := range []planbot.Status{planbot.StatusOverdue, planbot.StatusAtRisk, planbot.StatusNoReport, planbot.StatusNotStarted, planbot.StatusOnTrack, planbot.StatusDone} {
		fmt.Fprintf(&sb, "%s %s — %s\n", s.Mark(), s.Label(), statusMeaning(s, c.plan.Rules))
	}
	c.say(sb.String())
	return nil
}

func statusMeaning(s planbot.Status, r planbot.Rules) string {
	switch s {
	case planbot.StatusOverdue:
		return "已过截止日期仍未完成"
	case planbot.StatusAtRisk:
		return fmt.Sprintf("进度落后于应有进度 %v 个百分点以上", r.Tolerance)
	case planbot.StatusNoReport:
		return fmt.Sprintf("%d 天以上没有汇报", r.SilentDays)
	case planbot.StatusNotStarted:
		return "还未开始或尚未有进展"
	case planbot.StatusOnTrack:
		return "按计划推进"
	}
	return "已完成"
}
