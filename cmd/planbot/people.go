package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"planbot"
)

// peopleCommand shows who can be reached in the chat: for an office that
// has just handed out invite codes, who has not bound their account yet
// and so gets no reminder.
func peopleCommand() command {
	return command{
		name:    "people",
		summary: "list the plan's people and whether the bot can reach each (Telegram id in YAML, bound by invite, or not yet)",
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			path := configFlag(fs)
			dbFlag := fs.String("db", "", "SQLite database `path` (default: database: in the config)")
			return func(ctx context.Context, e *env) int {
				cfg := loadConfig(e, *path)
				if cfg == nil {
					return exitFail
				}
				db, err := openSynced(ctx, e, cfg, *dbFlag)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot people:", err)
					return exitFail
				}
				defer db.Close()
				bound, err := db.ChatBindings(ctx)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot people:", err)
					return exitFail
				}
				roleNames := map[planbot.Role]string{planbot.RoleAdmin: "党政办", planbot.RoleLeader: "领导", planbot.RoleCadre: "干部"}
				t := &table{maxCols: []int{0, 12, 0, 14, 0}}
				t.add("key", "姓名", "角色", "单位", "Telegram")
				var unreachable []string
				for _, p := range cfg.Plan.People {
					var roles []string
					for _, r := range p.Roles {
						roles = append(roles, roleNames[r])
					}
					how := ""
					switch id, ok := bound[p.Key]; {
					case p.TelegramID != 0:
						how = fmt.Sprintf("%d（配置中）", p.TelegramID)
					case ok:
						how = fmt.Sprintf("%d（已用邀请码绑定）", id)
					case p.Invite != "":
						how = "未绑定：邀请码还没用"
						unreachable = append(unreachable, p.Name)
					default:
						how = "无：收不到消息"
						unreachable = append(unreachable, p.Name)
					}
					t.add(p.Key, p.Name, strings.Join(roles, "、"), p.Unit, how)
				}
				t.write(e.stdout)
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
