package importdoc_test

import (
	"strings"
	"testing"
	"time"

	"planbot/importdoc"
)

func TestBigTmp(t *testing.T) {
	for _, doc := range []string{
		"二、明年工作打算\n（一）抓党建。" + strings.Repeat("全年开展培训6场，3月底前完成，", 40000) + "\n",
		"二、明年工作打算\n（一）抓党建\n" + strings.Repeat("全年开展培训6场并且持续推进各项工作落实到位取得实效，\n", 30000),
		"二、明年工作打算\n（一）抓党建\n" + strings.Repeat("全年开展培训6场。\n", 60000),
		"二、明年工作打算\n（一）抓党建\n" + strings.Repeat("6月6月6月6月6月6月6月6月", 30000) + "。\n",
		"全镇实现" + strings.Repeat("固定资产投资1亿元，同比增长2%，", 20000) + "\n二、明年工作打算\n（一）抓党建。开展培训6场。\n",
	} {
		start := time.Now()
		d, err := importdoc.Parse([]byte(doc), importdoc.Options{})
		if err != nil {
			t.Fatal(err)
		}
		d.YAML()
		t.Logf("%d bytes: %d items, %v", len(doc), d.Items(), time.Since(start))
	}
}
