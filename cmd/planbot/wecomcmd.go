package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"planbot"
	"planbot/config"
	"planbot/wecom"
)

// wecomTestTimeout bounds how long `planbot wecom test` waits for the AI
// bot's connection: WeCom answers a subscribe in well under a second.
const wecomTestTimeout = 30 * time.Second

func wecomCommand() command {
	return command{
		name:    "wecom",
		summary: "check the WeCom (企业微信) setup: `planbot wecom test` connects the AI bot and sends one test message to each admin and each group robot",
		arg:     true,
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			path := configFlag(fs)
			timeout := fs.Duration("timeout", wecomTestTimeout, "how long to wait for the AI bot's connection")
			return func(ctx context.Context, e *env) int {
				if e.arg != "test" {
					fmt.Fprintf(e.stderr, "planbot wecom: unknown action %q; the only one is: planbot wecom test\n", e.arg)
					return exitUsage
				}
				cfg := loadConfig(e, *path)
				if cfg == nil {
					return exitFail
				}
				if cfg.WeCom == nil {
					fmt.Fprintln(e.stderr, "planbot wecom test: the configuration has no wecom: section (see README, 企业微信)")
					return exitFail
				}
				failed := wecomTestBot(ctx, e, cfg.Plan, cfg.WeCom, *timeout)
				failed += wecomTestRobots(ctx, e, cfg.WeCom.WebhookURL, cfg.WeCom.Robots)
				if failed > 0 {
					fmt.Fprintf(e.stdout, "\n%d 项未通过（failed）。\n", failed)
					return exitFail
				}
				fmt.Fprintln(e.stdout, "\n企业微信设置无误（OK）。")
				return exitOK
			}
		},
	}
}

// wecomTestBot subscribes the AI bot and pushes a test message to every
// admin with a WeCom account; it returns how many checks failed.
func wecomTestBot(ctx context.Context, e *env, plan *planbot.Plan, w *config.WeCom, timeout time.Duration) int {
	botID, url, secretEnv := w.BotID, w.URL, w.SecretEnv
	secret := e.getenv(secretEnv)
	if secret == "" {
		fmt.Fprintf(e.stdout, "✗ 智能机器人：环境变量 %s 没有设置（应为机器人的 Secret）\n", secretEnv)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn := wecom.NewConn(url, botID, secret, e.log)
	conn.SecretEnv = secretEnv
	up := make(chan struct{}, 1)
	conn.OnUp = func() {
		select {
		case up <- struct{}{}:
		default:
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn.Run(ctx)
	}()
	defer func() { cancel(); <-done }()
	select {
	case <-up:
		fmt.Fprintf(e.stdout, "✓ 智能机器人 %s 已连接并订阅\n", botID)
	case <-ctx.Done():
		fmt.Fprintf(e.stdout, "✗ 智能机器人 %s：%v 内没有连上。请核对 bot_id、环境变量 %s 里的 Secret，以及服务器能否访问 %s（详见上面的日志）\n",
			botID, timeout, secretEnv, cmp.Or(url, wecom.DefaultURL))
		return 1
	}
	failed := 0
	ch := wecom.NewChannel(conn)
	sent := 0
	for _, p := range plan.People {
		account, ok := p.Account(wecom.Platform)
		if !ok || !p.Has(planbot.RoleAdmin) {
			continue
		}
		msg := planbot.OutboxMessage{ID: time.Now().UnixNano(), ChatID: account.Chat(),
			Text: "✅ planbot 测试消息：企业微信智能机器人能把消息发给您。"}
		if _, _, err := ch.Send(ctx, msg); err != nil {
			failed++
			fmt.Fprintf(e.stdout, "✗ 发给管理员 %s（%s）失败：%s\n", p.Name, account.Local(), wecomHint(err))
			continue
		}
		sent++
		fmt.Fprintf(e.stdout, "✓ 已发给管理员 %s（%s）\n", p.Name, account.Local())
	}
	if sent == 0 && failed == 0 {
		fmt.Fprintln(e.stdout, "（配置里没有写了 wecom_id 的管理员，没有发测试消息）")
	}
	return failed
}

// wecomTestRobots posts a test message through every group robot.
func wecomTestRobots(ctx context.Context, e *env, webhookURL string, robots []config.Robot) int {
	failed := 0
	for _, r := range robots {
		key := e.getenv(r.KeyEnv)
		if key == "" {
			failed++
			fmt.Fprintf(e.stdout, "✗ 群机器人 %s：环境变量 %s 没有设置（应为 Webhook 地址里 key= 后面的部分）\n", r.Name, r.KeyEnv)
			continue
		}
		hook := wecom.NewHookChannel(webhookURL, map[string]string{r.Name: key}, nil)
		msg := planbot.OutboxMessage{ID: time.Now().UnixNano(), ChatID: wecom.RobotChat(r.Name),
			Text: "✅ planbot 测试消息：周报会通过这个群机器人发到本群。"}
		if _, _, err := hook.Send(ctx, msg); err != nil {
			failed++
			fmt.Fprintf(e.stdout, "✗ 群机器人 %s 发送失败：%s\n", r.Name, wecomHint(err))
			continue
		}
		fmt.Fprintf(e.stdout, "✓ 群机器人 %s 已发出测试消息\n", r.Name)
	}
	return failed
}

// wecomHint says what a refused test message most likely means.
func wecomHint(err error) string {
	var we *wecom.Error
	if errors.As(err, &we) {
		switch we.Code {
		case 846607:
			return "对方还没有在企业微信里和机器人说过话（请他先私聊机器人发一句话）"
		case 93000:
			return "key 不对或群机器人已被移除"
		case 45009:
			return "发送太频繁，请稍后再试"
		}
	}
	return err.Error()
}
