//! Unknown host keys put to the operator. A job that meets a key no
//! known_hosts file names waits (in its own task) while the app shows the
//! key in an overlay; the answer goes back as a [`Request`], so nothing in
//! the UI awaits. Questions that arrive while one is shown queue behind it;
//! one answer settles every waiting question about the same key.

use std::collections::VecDeque;

use super::jobs::JobId;
use super::mode::{Overlay, OverlayKind};
use super::{App, Request};

pub use crate::domain::host_key::{HostKeyAnswer, HostKeyQuestion};

/// One job's question, as the runtime numbered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyAsk {
    /// The runtime's number for the waiting job's question.
    pub id: u64,
    pub job: JobId,
    pub question: HostKeyQuestion,
}

impl HostKeyAsk {
    fn same_key(&self, other: &HostKeyAsk) -> bool {
        let (a, b) = (&self.question, &other.question);
        a.host == b.host && a.port == b.port && a.fingerprint == b.fingerprint
    }
}

/// Questions waiting behind the one on screen.
pub type HostKeyQueue = VecDeque<HostKeyAsk>;

impl App {
    /// A job asks: shown at once, or queued behind the question on screen.
    pub fn ask_host_key(&mut self, ask: HostKeyAsk) {
        if self.showing_host_key().is_some() {
            self.host_key_queue.push_back(ask);
        } else {
            self.mode.push_overlay(Overlay::HostKey(Box::new(ask)));
        }
    }

    /// The question on screen, wherever it is in the overlay stack.
    pub fn showing_host_key(&self) -> Option<&HostKeyAsk> {
        self.mode.overlays().iter().find_map(|o| match o {
            Overlay::HostKey(a) => Some(a.as_ref()),
            _ => None,
        })
    }

    /// The operator's answer to the question on screen; also answers the
    /// queued questions about the same key, then shows the next one.
    pub fn answer_host_key(&mut self, answer: HostKeyAnswer) {
        let Some(Overlay::HostKey(ask)) = self.mode.remove_overlay(OverlayKind::HostKey) else {
            return;
        };
        let mut settled = vec![ask.id];
        self.host_key_queue.retain(|q| {
            let same = q.same_key(&ask);
            if same {
                settled.push(q.id);
            }
            !same
        });
        for id in settled {
            self.requests.push(Request::AnswerHostKey { id, answer });
        }
        let q = &ask.question;
        self.notice = Some(match answer {
            HostKeyAnswer::Once => format!(
                "{}:{}: host key accepted for this connection only",
                q.host, q.port
            ),
            HostKeyAnswer::Always => format!(
                "{}:{}: host key accepted and remembered in {}",
                q.host,
                q.port,
                q.known_hosts.display()
            ),
            HostKeyAnswer::Refuse => format!("{}:{}: host key refused", q.host, q.port),
        });
        self.show_next_host_key();
    }

    /// `A`: accept always the question on screen and every one waiting
    /// now (questions that arrive later are asked as usual).
    pub fn accept_all_host_keys(&mut self) {
        let Some(Overlay::HostKey(ask)) = self.mode.remove_overlay(OverlayKind::HostKey) else {
            return;
        };
        let waiting = std::mem::take(&mut self.host_key_queue);
        let mut hosts: Vec<String> = Vec::new();
        for a in std::iter::once(*ask).chain(waiting) {
            let host = format!("{}:{}", a.question.host, a.question.port);
            if !hosts.contains(&host) {
                hosts.push(host);
            }
            self.requests.push(Request::AnswerHostKey {
                id: a.id,
                answer: HostKeyAnswer::Always,
            });
        }
        self.notice = Some(match hosts.as_slice() {
            [one] => format!("{one}: host key accepted and remembered"),
            _ => format!(
                "{} host keys accepted and remembered ({})",
                hosts.len(),
                hosts.join(", ")
            ),
        });
    }

    /// A job ended (cancelled, most likely): its questions go away.
    pub fn drop_host_keys_of(&mut self, job: JobId) {
        self.host_key_queue.retain(|q| q.job != job);
        if self.showing_host_key().is_some_and(|a| a.job == job) {
            self.mode.remove_overlay(OverlayKind::HostKey);
            self.show_next_host_key();
        }
    }

    fn show_next_host_key(&mut self) {
        if self.showing_host_key().is_none()
            && let Some(next) = self.host_key_queue.pop_front()
        {
            self.mode.push_overlay(Overlay::HostKey(Box::new(next)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Origin;
    use crate::domain::Fleet;
    use std::time::Instant;

    fn ask(id: u64, job: JobId, host: &str, fp: &str) -> HostKeyAsk {
        HostKeyAsk {
            id,
            job,
            question: HostKeyQuestion {
                host: host.into(),
                port: 22,
                algorithm: "ssh-ed25519".into(),
                fingerprint: fp.into(),
                known_hosts: "/kh".into(),
                checked: vec!["/kh".into()],
            },
        }
    }

    #[test]
    fn one_at_a_time_and_one_answer_settles_the_same_key() {
        let mut app = App::new(Fleet::new("c", Vec::new(), 4), Origin::Live, Instant::now());
        app.ask_host_key(ask(1, 10, "a", "SHA256:x"));
        app.ask_host_key(ask(2, 11, "b", "SHA256:y"));
        app.ask_host_key(ask(3, 12, "a", "SHA256:x"));
        assert_eq!(app.showing_host_key().map(|a| a.id), Some(1));
        app.answer_host_key(HostKeyAnswer::Always);
        assert_eq!(
            app.requests,
            [
                Request::AnswerHostKey {
                    id: 1,
                    answer: HostKeyAnswer::Always
                },
                Request::AnswerHostKey {
                    id: 3,
                    answer: HostKeyAnswer::Always
                }
            ]
        );
        assert_eq!(app.showing_host_key().map(|a| a.id), Some(2));
        // The job behind the question ends: the question goes with it.
        app.drop_host_keys_of(11);
        assert_eq!(app.showing_host_key(), None);
        assert!(app.host_key_queue.is_empty());
    }

    #[test]
    fn accept_all_settles_the_shown_and_every_waiting_question() {
        let mut app = App::new(Fleet::new("c", Vec::new(), 4), Origin::Live, Instant::now());
        // Nothing shown: nothing to accept.
        app.accept_all_host_keys();
        assert!(app.requests.is_empty());
        app.ask_host_key(ask(1, 10, "a", "SHA256:x"));
        app.ask_host_key(ask(2, 10, "b", "SHA256:y"));
        app.ask_host_key(ask(3, 11, "c", "SHA256:z"));
        app.accept_all_host_keys();
        let answered: Vec<(u64, HostKeyAnswer)> = app
            .requests
            .iter()
            .map(|r| match r {
                Request::AnswerHostKey { id, answer } => (*id, *answer),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            answered,
            [
                (1, HostKeyAnswer::Always),
                (2, HostKeyAnswer::Always),
                (3, HostKeyAnswer::Always)
            ]
        );
        assert_eq!(app.showing_host_key(), None);
        assert!(app.host_key_queue.is_empty());
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.starts_with("3 host keys accepted")),
            "{:?}",
            app.notice
        );
        // A question after the answer is asked as usual.
        app.ask_host_key(ask(4, 12, "d", "SHA256:w"));
        assert_eq!(app.showing_host_key().map(|a| a.id), Some(4));
        assert_eq!(app.requests.len(), 3);
    }
}
