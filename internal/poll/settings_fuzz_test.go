package poll_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"palabre/internal/connector/feed"
	"palabre/internal/fetch"
	"palabre/internal/model"
	"palabre/internal/poll"
)

// FuzzSourceSettings feeds Settings a source's settings as a manager
// sends them to the API, for every kind whose settings are checked
// without the network (a feed's are fetched, so only feed.ParseConfig
// is fed theirs): nothing panics; what is kept is accepted again and kept
// as it is; and the settings shown never hold a secret's value.
func FuzzSourceSettings(f *testing.F) {
	kinds := []string{model.SourceWordPress, model.SourceMastodon, model.SourceWebhook, model.SourceEmail}
	f.Add(uint8(0), `{"site_url":"https://blog.example","user":"editor","app_password":"abcd efgh ijkl mnop qrst uvwx"}`)
	f.Add(uint8(1), `{"instance_url":"https://mastodon.example","access_token":"tok-123456","account":"@brand"}`)
	f.Add(uint8(2), `{"secret":"whsec_0123456789abcdef0123456789"}`)
	f.Add(uint8(2), `{}`)
	f.Add(uint8(3), `{"imap_addr":"imap.example:993","imap_user":"u","imap_password":"p4ss","smtp_addr":"smtp.example:587","smtp_password":"s3cret","from":"brand@example.com"}`)
	f.Add(uint8(0), `{"site_url":"javascript:alert(1)","per_page":-1}`)
	f.Add(uint8(3), `{"imap_addr":"[::1]:0","imap_tls":"sslv2"}`)
	f.Add(uint8(1), `null`)
	client := &fetch.Client{}
	f.Fuzz(func(t *testing.T, k uint8, config string) {
		_, _ = feed.ParseConfig([]byte(config))
		kind := kinds[int(k)%len(kinds)]
		kept, err := poll.Settings(context.Background(), client, kind, []byte(config))
		if err != nil {
			return
		}
		again, err := poll.Settings(context.Background(), client, kind, kept)
		if err != nil || !bytes.Equal(again, kept) {
			t.Fatalf("%s settings %s kept as %s, which are then kept as %s (%v)", kind, config, kept, again, err)
		}
		var fields map[string]any
		if err := json.Unmarshal(kept, &fields); err != nil {
			t.Fatalf("%s settings kept as %s, not an object: %v", kind, kept, err)
		}
		shown := poll.Shown(kind, kept)
		for _, name := range []string{"password", "app_password", "access_token", "token", "imap_password", "smtp_password", "secret"} {
			if v, _ := fields[name].(string); v != "" && shown[name] != model.HiddenSecret {
				t.Fatalf("%s settings %s shown as %v: %s is not hidden", kind, kept, shown, name)
			}
		}
	})
}
