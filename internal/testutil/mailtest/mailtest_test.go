package mailtest

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestDelivery: what is sent over SMTP reaches the mailbox, and IMAP
// lets its owner in.
func TestDelivery(t *testing.T) {
	s := Start(t)
	addr := s.AddUser(t, "ann", "pw")
	if addr != "ann@"+Domain {
		t.Fatalf("address %q", addr)
	}
	msg := "From: bob@example.org\r\nTo: " + addr + "\r\nSubject: hi\r\nMessage-ID: <m1@example.org>\r\n\r\nhello\r\n"
	s.Send(t, "bob@example.org", []string{addr}, []byte(msg))
	s.WaitForMessages(t, "ann", "INBOX", 1)
	s.SetUIDValidity(t, "ann", "INBOX", 77)

	conn, err := net.DialTimeout("tcp", s.IMAPAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	var transcript strings.Builder
	read := func(tag string) {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%v after:\n%s", err, transcript.String())
			}
			transcript.WriteString(line)
			if strings.HasPrefix(line, tag+" ") {
				if !strings.HasPrefix(line, tag+" OK") {
					t.Fatalf("IMAP refused:\n%s", transcript.String())
				}
				return
			}
		}
	}
	read("*")
	fmt.Fprintf(conn, "a LOGIN ann pw\r\n")
	read("a")
	fmt.Fprintf(conn, "b EXAMINE INBOX\r\n")
	read("b")
	if !strings.Contains(transcript.String(), "* 1 EXISTS") || !strings.Contains(transcript.String(), "[UIDVALIDITY 77]") {
		t.Errorf("INBOX after one delivery and a new UIDVALIDITY:\n%s", transcript.String())
	}
}
