package cli_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"palabre/internal/cli"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// smallWXR is a hand-written WordPress export: a post and two comments.
const smallWXR = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>Atelier</title><link>https://atelier.example</link>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://atelier.example</wp:base_site_url>
<wp:author><wp:author_id>2</wp:author_id><wp:author_login>lea</wp:author_login><wp:author_email>lea@atelier.example</wp:author_email><wp:author_display_name>Léa</wp:author_display_name></wp:author>
<item>
<title>Réglage des freins</title><link>https://atelier.example/freins/</link>
<dc:creator>lea</dc:creator>
<content:encoded><![CDATA[<p>Comment régler ses freins.</p>]]></content:encoded>
<wp:post_id>12</wp:post_id><wp:post_date_gmt>2024-04-01 08:00:00</wp:post_date_gmt>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<wp:comment><wp:comment_id>40</wp:comment_id><wp:comment_author>Max</wp:comment_author><wp:comment_author_email>max@example.net</wp:comment_author_email>
<wp:comment_date_gmt>2024-04-01 09:00:00</wp:comment_date_gmt><wp:comment_content>Et pour un frein à disque ?</wp:comment_content>
<wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id></wp:comment>
<wp:comment><wp:comment_id>41</wp:comment_id><wp:comment_author>Léa</wp:comment_author><wp:comment_author_email>lea@atelier.example</wp:comment_author_email>
<wp:comment_date_gmt>2024-04-01 10:00:00</wp:comment_date_gmt><wp:comment_content>Même principe, Max.</wp:comment_content>
<wp:comment_approved>1</wp:comment_approved><wp:comment_parent>40</wp:comment_parent><wp:comment_user_id>2</wp:comment_user_id></wp:comment>
</item>
</channel>
</rss>
`

// workspaceExists reports whether the import created the workspace.
func workspaceExists(t *testing.T, dsn, slug string) bool {
	t.Helper()
	if _, err := os.Stat(dsn); err != nil && !store.IsPostgresDSN(dsn) {
		return false // not even a database file
	}
	st := openStore(t, dsn)
	_, err := st.WorkspaceBySlug(context.Background(), slug)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func TestImportRefusesBrokenInput(t *testing.T) {
	t.Parallel()
	half := smallWXR[:len(smallWXR)/2]
	cases := []struct {
		name, file, content string
		args                []string
		code                int
		stderr              []string
	}{
		{name: "no file", args: []string{"import", "--workspace", "w"}, code: cli.ExitUsage, stderr: []string{"one FILE, URL or -"}},
		{name: "no workspace", file: "a.ndjson", content: sampleNDJSON(), args: []string{"import"}, code: cli.ExitUsage, stderr: []string{"--workspace is required"}},
		{name: "bad workspace", file: "a.ndjson", content: sampleNDJSON(), args: []string{"import", "--workspace", "Bad Slug"}, code: cli.ExitUsage, stderr: []string{"--workspace"}},
		{name: "bad format", file: "a.ndjson", content: sampleNDJSON(), args: []string{"import", "--workspace", "w", "--format", "xls"}, code: cli.ExitUsage, stderr: []string{"--format"}},
		{name: "empty file", file: "empty.xml", content: "", args: []string{"import", "--workspace", "w"}, code: cli.ExitFailure, stderr: []string{"empty.xml", "empty"}},
		{name: "binary", file: "photo.jpg", content: "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00", args: []string{"import", "--workspace", "w"}, code: cli.ExitFailure, stderr: []string{"photo.jpg", "binary"}},
		{name: "truncated WXR", file: "cut.xml", content: half, args: []string{"import", "--workspace", "w"}, code: cli.ExitFailure, stderr: []string{"cut.xml", "offset", "nothing was imported"}},
		{name: "truncated WXR given as wxr", file: "cut.xml", content: half, args: []string{"import", "--workspace", "w", "--format", "wxr"}, code: cli.ExitFailure, stderr: []string{"cut.xml", "nothing was imported"}},
		{name: "invalid UTF-8 in WXR", file: "latin.xml", content: strings.Replace(smallWXR, "Même", "M\xeame", 1), args: []string{"import", "--workspace", "w"}, code: cli.ExitFailure, stderr: []string{"latin.xml", "UTF-8", "nothing was imported"}},
		{name: "HTML page", file: "page.html", content: "<!DOCTYPE html><html><body>hi</body></html>", args: []string{"import", "--workspace", "w"}, code: cli.ExitFailure, stderr: []string{"page.html"}},
		{name: "strict with a bad line", file: "s.ndjson", content: sampleNDJSON() + "{\"external_id\":\"x\"}\n", args: []string{"import", "--workspace", "w", "--strict"}, code: cli.ExitFailure, stderr: []string{"s.ndjson line 8:", "nothing was imported (--strict)"}},
		{name: "no records", file: "n.ndjson", content: "\n\n", args: []string{"import", "--workspace", "w", "--format", "ndjson"}, code: cli.ExitFailure, stderr: []string{"no records"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dsn := testutil.NewDSN(t, store.EngineSQLite)
			args := append([]string{}, tc.args...)
			args = append(args, "--db", dsn)
			if tc.file != "" {
				args = append(args, writeFile(t, tc.file, tc.content))
			}
			code, _, errOut := run(t, "", args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, errOut)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
			if strings.Count(strings.TrimSpace(errOut), "\n") > 3 && tc.code != cli.ExitUsage {
				t.Errorf("error should be short, got:\n%s", errOut)
			}
			if workspaceExists(t, dsn, "w") {
				t.Errorf("a refused import changed the database")
			}
		})
	}
}

func TestImportKeepsGoodRecords(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		// ForEachEngine's store is only used to learn the engine; imports
		// go to a fresh database of the same engine.
		dsn := testutil.NewDSN(t, st.Engine())
		bad := sampleNDJSON() + "not json\n" + `{"external_id":"z","body":"b","created_at":"yesterday"}` + "\n" +
			`{"external_id":"ok","body":"fine","created_at":"2024-06-01T00:00:00Z"}` + "\n"
		path := writeFile(t, "mixed.ndjson", bad)
		code, out, errOut := run(t, "", "import", "--db", dsn, "--workspace", "w", "--json", path)
		if code != cli.ExitRejected {
			t.Fatalf("exit %d, want %d: %s", code, cli.ExitRejected, errOut)
		}
		s := summary(t, out)
		if s.Read != 10 || s.Inserted != 8 || s.Rejected != 2 {
			t.Fatalf("summary %+v", s)
		}
		for _, want := range []string{path + " line 8:", path + " line 9:", "created_at"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}
		// Running it again stores nothing twice.
		code, out, _ = run(t, "", "import", "--db", dsn, "--workspace", "w", "--json", path)
		if s := summary(t, out); code != cli.ExitRejected || s.Inserted != 0 || s.Duplicates != 8 {
			t.Fatalf("second run: exit %d, %+v", code, s)
		}
	})
}

func TestImportFromStdinAndURL(t *testing.T) {
	t.Parallel()
	dsn := testutil.NewDSN(t, store.EngineSQLite)
	code, out, errOut := run(t, smallWXR, "import", "--db", dsn, "--workspace", "w", "--json", "-")
	if code != 0 {
		t.Fatalf("stdin: exit %d: %s", code, errOut)
	}
	if s := summary(t, out); s.Inserted != 3 || s.Members != 2 {
		t.Fatalf("stdin summary %+v", s)
	}

	feed := `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Commentaires</title><link>https://atelier.example/freins/</link>
<item><title>Par : Max</title><link>https://atelier.example/freins/#comment-40</link><dc:creator>Max</dc:creator><pubDate>Mon, 01 Apr 2024 09:00:00 +0000</pubDate><guid isPermaLink="false">https://atelier.example/?p=12#comment-40</guid><description>Et pour un frein à disque ?</description></item>
<item><title>Par : Zoé</title><link>https://atelier.example/freins/#comment-42</link><dc:creator>Zoé</dc:creator><pubDate>Mon, 01 Apr 2024 11:00:00 +0000</pubDate><guid isPermaLink="false">https://atelier.example/?p=12#comment-42</guid><description>Merci !</description></item>
</channel></rss>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(feed))
	}))
	defer srv.Close()
	code, _, errOut = run(t, "", "import", "--db", dsn, "--workspace", "w", "--json", srv.URL+"/feed/")
	if code != cli.ExitFailure || !strings.Contains(errOut, "127.0.0.1") {
		t.Fatalf("loopback URL without --allow-private: exit %d: %s", code, errOut)
	}
	code, out, errOut = run(t, "", "import", "--db", dsn, "--workspace", "w", "--json", "--allow-private", srv.URL+"/feed/")
	if code != 0 {
		t.Fatalf("URL: exit %d: %s", code, errOut)
	}
	// Comment 40 came in the export already; comment 42 is new and joins the post.
	if s := summary(t, out); s.Inserted != 1 || s.Duplicates != 1 || s.Conversations != 0 {
		t.Fatalf("URL summary %+v", s)
	}
}
