package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"

	"planbot"
	"planbot/storage"
	"planbot/telegram"
	"planbot/wecom"
)

// peopleCommand shows who can be reached in the chat: for an office that
// has just handed out invite codes, who has not bound their account yet
// and so gets no reminder.
func peopleCommand() command {
	return command{
		name:    "people",
		summary: "list the plan's people and where the bot can reach each (Telegram and WeCom accounts in YAML, bound by invite, or not yet; with several, where reminders go), and every account that used an invite code, void ones marked",
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			path := configFlag(fs)
			dbFlag := dbPathFlag(fs)
			return func(ctx context.Context, e *env) int {
				cfg := loadConfig(e, *path)
				if cfg == nil {
					return exitFail
				}
				db := openCommandDB(ctx, e, "people", cfg, *dbFlag)
				if db == nil {
					return exitFail
				}
				defer db.Close()
				bound, err := db.ChatBindings(ctx)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot people:", err)
					return exitFail
				}
				seen, err := db.AccountsSeen(ctx)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot people:", err)
					return exitFail
				}
				accounts, err := db.BoundAccounts(ctx)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot people:", err)
					return exitFail
				}
				said, err := db.Leaves(ctx)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot people:", err)
					return exitFail
				}
				today := planbot.DateOf(e.now().In(cfg.Plan.Location))
				leaves := append(slices.Clip(cfg.Plan.Leaves), said...)
				voided := map[string]bool{}
				for _, a := range accounts {
					if !a.Live && !a.Exposed {
						voided[a.PersonKey] = true
					}
				}
				roleNames := map[planbot.Role]string{planbot.RoleAdmin: "党政办", planbot.RoleLeader: "领导", planbot.RoleCadre: "干部"}
				t := &table{maxCols: []int{0, 12, 0, 14, 0}}
				t.add("key", "姓名", "角色", "单位", "账号")
				var unreachable []string
				for _, p := range cfg.Plan.People {
					var roles []string
					for _, r := range p.Roles {
						roles = append(roles, roleNames[r])
					}
					how := ""
					id, ok := bound[p.Key]
					// Bound by invite to an account the YAML does not give.
					boundElsewhere := ok && !p.HasAccount(planbot.UserID(id))
					switch {
					case len(p.Accounts) > 0:
						how = accountsLabel(p.Accounts) + "（配置中）"
						if boundElsewhere {
							how += "、" + accountLabel(planbot.UserID(id)) + "（已用邀请码绑定）"
						}
					case ok:
						how = accountLabel(planbot.UserID(id)) + "（已用邀请码绑定）"
					case p.Invite != "":
						how = "未绑定：邀请码还没用"
						unreachable = append(unreachable, p.Name)
					default:
						how = "无：收不到消息"
						unreachable = append(unreachable, p.Name)
					}
					if len(p.Accounts) > 1 || (len(p.Accounts) == 1 && boundElsewhere) {
						// Reachable on several platforms: reminders go to one.
						how += "，提醒发到" + platformName(planbot.ReminderChat(p, id, seen).Platform())
					}
					if l, ok := planbot.OnLeave(leaves, p.Key, today); ok {
						how += fmt.Sprintf(" 🏖 请假至%s", l.To.Short(cfg.Plan.Year))
					}
					if voided[p.Key] {
						// Whoever used the person's code before no longer
						// counts as them: listed below, to be checked.
						how += " ⚠️ 有作废的绑定"
					}
					t.add(p.Key, p.Name, strings.Join(roles, "、"), p.Unit, how)
				}
				t.write(e.stdout)
				writeLeaves(e, cfg.Plan, leaves, today)
				writeBoundAccounts(e, cfg.Plan, accounts)
				if len(unreachable) == 0 {
					fmt.Fprintf(e.stdout, "\n%d 人都能收到机器人的消息。\n", len(cfg.Plan.People))
				} else {
					fmt.Fprintf(e.stdout, "\n%d 人中 %d 人还收不到提醒：%s。请让他们私聊机器人发送 /start 邀请码，或在配置里写上 telegram_id。\n",
						len(cfg.Plan.People), len(unreachable), strings.Join(unreachable, "、"))
				}
				return exitOK
			}
		},
	}
}

// writeBoundAccounts lists every Telegram account that ever used an invite
// code, live or void: an impostor who used someone's code shows here
// after the admin has written the real telegram_id in.
func writeBoundAccounts(e *env, plan *planbot.Plan, accounts []storage.BoundAccount) {
	if len(accounts) == 0 {
		return
	}
	fmt.Fprintf(e.stdout, "\n用过邀请码的账号（%d 个）：\n", len(accounts))
	t := &table{maxCols: []int{0, 12, 0, 0, 0}}
	t.add("key", "姓名", "Telegram", "时间", "状态")
	void := 0
	for _, a := range accounts {
		name := a.PersonKey
		if p, ok := plan.Person(a.PersonKey); ok {
			name = p.Name
		}
		state := "有效"
		switch {
		case a.Exposed:
			state = "邀请码在群里公开，已作废（未绑定）"
		case a.Void == storage.VoidAccount:
			state = "作废：配置已写入 telegram_id"
		case a.Void == storage.VoidInvite:
			state = "作废：邀请码已更换"
		case a.Void == storage.VoidRemoved:
			state = "作废：此人已从配置中移除"
		case a.Void != "":
			state = "作废：已被新的绑定取代"
		}
		if !a.Live && !a.Exposed {
			void++
		}
		tg := "匿名"
		if a.User != "" {
			tg = accountLabel(a.User)
		}
		t.add(a.PersonKey, name, tg, a.SpentAt.In(plan.Location).Format("2006-01-02 15:04"), state)
	}
	t.write(e.stdout)
	if void > 0 {
		fmt.Fprintf(e.stdout, "%d 个账号的绑定已作废，不能再使用机器人；它们此前发的汇报仍记在对应的人名下，请核对。\n", void)
	}
}

// writeLeaves lists the leaves under way and to come, from the YAML and
// from chat: who gets no reminders now, and who will soon.
func writeLeaves(e *env, plan *planbot.Plan, leaves []planbot.Leave, today planbot.Date) {
	var ahead []planbot.Leave
	for _, l := range leaves {
		if !l.To.Before(today) {
			ahead = append(ahead, l)
		}
	}
	if len(ahead) == 0 {
		return
	}
	slices.SortStableFunc(ahead, func(a, b planbot.Leave) int { return a.From.Compare(b.From) })
	fmt.Fprintf(e.stdout, "\n请假（正在请假和已登记将要请假的，%d 条）：\n", len(ahead))
	t := &table{maxCols: []int{0, 12, 0, 0, 0, 20}}
	t.add("key", "姓名", "起止", "状态", "登记", "事由")
	for _, l := range ahead {
		name := l.Person
		if p, ok := plan.Person(l.Person); ok {
			name = p.Name
		}
		state := "将要请假"
		if l.Covers(today) {
			state = "请假中"
		}
		src := "配置"
		if l.Source == planbot.LeaveFromChat {
			src = "聊天"
			if !l.At.IsZero() {
				src = "聊天 " + l.At.In(plan.Location).Format("01-02 15:04")
			}
		}
		t.add(l.Person, name, l.From.Short(plan.Year)+"至"+l.To.Short(plan.Year), state, src, l.Note)
	}
	t.write(e.stdout)
}

// accountLabel shows an account as the admin wrote it in the YAML: a
// Telegram account by its number alone, any other with its platform.
func accountLabel(u planbot.UserID) string { return chatLabel(u.Chat()) }

// accountsLabel lists a person's YAML accounts.
func accountsLabel(us []planbot.UserID) string {
	labels := make([]string, len(us))
	for i, u := range us {
		labels[i] = accountLabel(u)
	}
	return strings.Join(labels, "、")
}

// platformName is a platform as the office calls it, spaced as it follows
// Chinese text ("提醒发到 Telegram", "提醒发到企业微信").
func platformName(platform string) string {
	switch platform {
	case telegram.Platform:
		return " Telegram"
	case wecom.Platform:
		return "企业微信"
	}
	return platform
}
