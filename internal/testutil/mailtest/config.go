package mailtest

import (
	"fmt"
	"path/filepath"
)

type dovecotSettings struct {
	dir, users              string
	acc                     accounts
	imap, imaps, lmtp, auth int
}

// dovecotConf is a whole Dovecot 2.3 configuration, standing alone (no
// conf.d): IMAP and LMTP on loopback, users in a passwd-file, mail in
// Maildirs under the test's directory, every socket and state file there
// too.
func dovecotConf(c dovecotSettings) string {
	return fmt.Sprintf(`# Written by palabre's mailtest for one test run.
base_dir = %[1]s/dovecot/run
state_dir = %[1]s/dovecot/state
instance_name = mailtest-%[4]d
log_path = %[1]s/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <%[1]s/cert.pem
ssl_key = <%[1]s/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
# Trusted clients escape the penalty Dovecot puts on an address after a
# failed login, which would slow every test down after the one that tries
# a wrong password.
login_trusted_networks = 127.0.0.0/8
auth_username_format = %%Ln
default_internal_user = %[3]s
default_internal_group = %[10]s
default_login_user = %[9]s
first_valid_uid = %[7]d
first_valid_gid = %[8]d
mail_uid = %[7]d
mail_gid = %[8]d
mail_location = maildir:%[1]s/mail/%%n/Maildir
mail_home = %[1]s/mail/%%n

namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    auto = subscribe
    special_use = \Sent
  }
  mailbox Junk {
    auto = subscribe
    special_use = \Junk
  }
  mailbox Trash {
    auto = subscribe
    special_use = \Trash
  }
}

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%n %[2]s/%%n
}
userdb {
  driver = static
  args = uid=%[7]d gid=%[8]d
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[4]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[12]d
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = %[5]d
  }
}
service auth {
  inet_listener sasl {
    address = 127.0.0.1
    port = %[6]d
  }
}
protocol lmtp {
  postmaster_address = postmaster@%[11]s
}
`, c.dir, c.users, c.acc.internal, c.imap, c.lmtp, c.auth, c.acc.mailUID, c.acc.mailGID, c.acc.login, c.acc.internalGroup, Domain, c.imaps)
}

// postfixMainCf is Postfix's main.cf: mail for Domain goes to Dovecot over
// LMTP, mail for anywhere else bounces at once, and only loopback is
// listened on.
func postfixMainCf(dir, lmtpAddr, authAddr string) string {
	return fmt.Sprintf(`# Written by palabre's mailtest for one test run.
compatibility_level = 3.6
queue_directory = %[1]s
data_directory = %[2]s
maillog_file = %[3]s
maillog_file_prefixes = %[7]s
myhostname = mail.%[6]s
mydomain = %[6]s
myorigin = $mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
relayhost =
virtual_mailbox_domains = %[6]s
virtual_transport = lmtp:inet:%[4]s
smtpd_reject_unlisted_recipient = no
default_transport = error:mailtest delivers nowhere but %[6]s
relay_transport = error:mailtest delivers nowhere but %[6]s
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:%[5]s
# Dovecot 2.3's LMTP cannot take SMTPUTF8, which Go's net/smtp asks
# for whenever it is offered.
smtputf8_enable = no
smtpd_tls_security_level = may
smtpd_tls_cert_file = %[7]s/cert.pem
smtpd_tls_key_file = %[7]s/key.pem
smtp_tls_security_level = none
smtpd_banner = $myhostname ESMTP mailtest
biff = no
delay_warning_time = 0
bounce_queue_lifetime = 0
maximal_queue_lifetime = 1h
`, filepath.Join(dir, "postfix", "spool"), filepath.Join(dir, "postfix", "data"), filepath.Join(dir, "postfix.log"),
		lmtpAddr, authAddr, Domain, dir)
}

// postfixMasterCf lists the services the test needs, none chrooted (the
// queue is in a temporary directory), the SMTP server on smtpAddr and
// again, with implicit TLS, on smtpsAddr.
func postfixMasterCf(smtpAddr, smtpsAddr string) string {
	return fmt.Sprintf(`# Written by palabre's mailtest for one test run.
# service   type  private unpriv chroot wakeup maxproc command
%s inet n - n - - smtpd
%s inet n - n - - smtpd -o smtpd_tls_wrappermode=yes
pickup      unix  n - n 60   1 pickup
cleanup     unix  n - n -    0 cleanup
qmgr        unix  n - n 300  1 qmgr
tlsmgr      unix  - - n 1000? 1 tlsmgr
rewrite     unix  - - n -    - trivial-rewrite
bounce      unix  - - n -    0 bounce
defer       unix  - - n -    0 bounce
trace       unix  - - n -    0 bounce
verify      unix  - - n -    1 verify
flush       unix  n - n 1000? 0 flush
proxymap    unix  - - n -    - proxymap
proxywrite  unix  - - n -    1 proxymap
smtp        unix  - - n -    - smtp
relay       unix  - - n -    - smtp
showq       unix  n - n -    - showq
error       unix  - - n -    - error
retry       unix  - - n -    - error
discard     unix  - - n -    - discard
lmtp        unix  - - n -    - lmtp
anvil       unix  - - n -    1 anvil
scache      unix  - - n -    1 scache
postlog     unix-dgram n - n - 1 postlogd
`, smtpAddr, smtpsAddr)
}
