//! Progress for long operations (layer builds, pulls, bootstrap) on stderr: an
//! indicatif spinner with the latest line on a terminal; on a pipe (CI logs) only the
//! milestone lines, so logs stay short but nothing important is hidden.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

pub struct Progress {
    bar: Option<ProgressBar>,
    prefix: String,
}

impl Progress {
    /// A spinner on stderr when it is a terminal (and `quiet` is false), else plain lines.
    pub fn new(prefix: &str) -> Self {
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{spinner} [{elapsed}] {prefix}: {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar.set_prefix(prefix.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            Some(bar)
        } else {
            None
        };
        Self {
            bar,
            prefix: prefix.to_string(),
        }
    }

    /// The current step; on a pipe only milestones (`Step N/M`, our own messages).
    pub fn set_message(&self, msg: &str) {
        let msg: String = msg.chars().filter(|c| !c.is_control()).collect();
        match &self.bar {
            Some(bar) => bar.set_message(msg),
            None => {
                let milestone = msg.starts_with("Step ")
                    || msg.starts_with("building")
                    || msg.starts_with("pulling")
                    || (msg.starts_with("debootstrap")
                        && ![
                            "Retrieving",
                            "Validating",
                            "Extracting",
                            "Unpacking",
                            "Configuring",
                            "Checking",
                        ]
                        .iter()
                        .any(|verb| msg.contains(&format!("I: {verb} "))))
                    || msg.starts_with("importing")
                    || msg.starts_with("travis-local layer:")
                    || msg.starts_with("warning");
                if milestone {
                    eprintln!("{}: {msg}", self.prefix);
                }
            }
        }
    }

    /// A line that stays (above the spinner).
    pub fn println(&self, msg: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("{}: {msg}", self.prefix)),
            None => eprintln!("{}: {msg}", self.prefix),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
