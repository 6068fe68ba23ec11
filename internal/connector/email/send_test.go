package email

import (
	"net/smtp"
	"testing"
)

func TestLoginAuth(t *testing.T) {
	t.Parallel()
	a := &loginAuth{user: "ann", password: "pw", host: "smtp.example.test"}
	if _, _, err := a.Start(&smtp.ServerInfo{Name: "smtp.example.test"}); err == nil {
		t.Error("LOGIN without TLS to a remote server was allowed")
	}
	if _, _, err := a.Start(&smtp.ServerInfo{Name: "other.example.test", TLS: true}); err == nil {
		t.Error("LOGIN to another host than configured was allowed")
	}
	mech, _, err := a.Start(&smtp.ServerInfo{Name: "smtp.example.test", TLS: true})
	if err != nil || mech != "LOGIN" {
		t.Fatalf("start: %q, %v", mech, err)
	}
	for prompt, want := range map[string]string{"Username:": "ann", "Password:": "pw"} {
		if got, err := a.Next([]byte(prompt), true); err != nil || string(got) != want {
			t.Errorf("prompt %q: answered %q, %v", prompt, got, err)
		}
	}
	if _, err := a.Next([]byte("Token:"), true); err == nil {
		t.Error("an unknown prompt was answered")
	}
	local := &loginAuth{user: "ann", password: "pw", host: "127.0.0.1"}
	if _, _, err := local.Start(&smtp.ServerInfo{Name: "127.0.0.1"}); err != nil {
		t.Errorf("LOGIN in clear to the local machine: %v", err)
	}
}
