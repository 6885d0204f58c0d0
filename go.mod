module planbot

go 1.26

require (
	github.com/jmoiron/sqlx v1.4.0
	github.com/mattn/go-sqlite3 v1.14.53
	github.com/robfig/cron/v3 v3.0.1
	go.yaml.in/yaml/v3 v3.0.6
)

require github.com/go-telegram-bot-api/telegram-bot-api/v5 v5.5.1

require github.com/6tail/lunar-go v1.4.7
