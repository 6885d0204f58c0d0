package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"planbot/config"
)

// FuzzLoad: whatever an admin's editor produces, the loader answers with a
// config or with located errors, never a panic.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	files = append(files, "../config.example.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("year: 2027\npeople: &a [*a]\n"))
	f.Add([]byte("items: {code: 1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse("fuzz.yaml", data)
		if err == nil {
			if cfg.Plan == nil || cfg.Plan.Location == nil {
				t.Fatal("a config without error must have a plan and a location")
			}
			return
		}
		var list config.Errors
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error %v is not a non-empty config.Errors", err)
		}
		for _, e := range list {
			if e.File != "fuzz.yaml" || e.Line < 0 || e.Msg == "" {
				t.Fatalf("error without a place or a message: %+v", e)
			}
		}
	})
}
