//! The steps on the stack's host: read what is there, check before
//! changing, upload, switch, start, wait for ready, reload, and undo.

use super::*;

pub(super) struct Host<'a> {
    pub(super) r: &'a Runner,
    pub(super) prefix: &'a str,
    pub(super) dir: &'a str,
    pub(super) http_host: &'a str,
    pub(super) verify_timeout: Duration,
    pub(super) init: Init,
}

impl Host<'_> {
    pub(super) async fn sh(
        &self,
        cmd: RemoteCommand,
        input: Option<&[u8]>,
    ) -> Result<String, InstallError> {
        self.r.sh(cmd, input).await
    }

    pub(super) fn cdir(&self, c: StackComponent) -> String {
        format!("{}/{}", self.prefix, c.name())
    }

    pub(super) fn launcher_path(&self, c: StackComponent) -> String {
        match self.init {
            Init::Systemd => format!("/etc/systemd/system/{}", unit_name(c)),
            Init::Pidfile => format!("{}/run.sh", self.cdir(c)),
        }
    }

    pub(super) fn launcher(&self, c: StackComponent, config: &Config) -> String {
        match self.init {
            Init::Systemd => unit(c, config, self.prefix, self.dir),
            Init::Pidfile => run_script(c, config, self.prefix, self.dir),
        }
    }

    pub(super) fn url(&self, port: u16, path: &str) -> String {
        format!("http://{}{path}", host_port(self.http_host, port))
    }

    pub(super) async fn init(&self) -> Result<Init, InstallError> {
        let out = self
            .sh(
                RemoteCommand::template(
                    "if [ -d /run/systemd/system ]; then echo systemd; else echo pidfile; fi",
                    &[],
                ),
                None,
            )
            .await?;
        Ok(if out.trim() == "systemd" {
            Init::Systemd
        } else {
            Init::Pidfile
        })
    }

    pub(super) async fn state(&self, c: StackComponent) -> Result<State, InstallError> {
        let running = match self.init {
            Init::Systemd => RemoteCommand::template(
                "d={}; l={}; echo \"current=$(readlink \"$d/current\" 2>/dev/null)\"; \
                 echo \"previous=$(readlink \"$d/previous\" 2>/dev/null)\"; \
                 if systemctl is-active --quiet {}; then echo running=yes; else echo running=no; fi; \
                 echo \"launcher=$(sha256sum \"$l\" 2>/dev/null | cut -d' ' -f1)\"; \
                 echo \"port=$(grep -o 'web.listen-address=:[0-9]*' \"$l\" 2>/dev/null | head -n1 | cut -d: -f2)\"",
                &[&self.cdir(c), &self.launcher_path(c), &unit_name(c)],
            ),
            Init::Pidfile => RemoteCommand::template(
                "d={}; l={}; echo \"current=$(readlink \"$d/current\" 2>/dev/null)\"; \
                 echo \"previous=$(readlink \"$d/previous\" 2>/dev/null)\"; \
                 if [ -f \"$d/run.pid\" ] && kill -0 \"$(cat \"$d/run.pid\")\" 2>/dev/null; then echo running=yes; else echo running=no; fi; \
                 echo \"launcher=$(sha256sum \"$l\" 2>/dev/null | cut -d' ' -f1)\"; \
                 echo \"port=$(grep -o 'web.listen-address=:[0-9]*' \"$l\" 2>/dev/null | head -n1 | cut -d: -f2)\"",
                &[&self.cdir(c), &self.launcher_path(c)],
            ),
        };
        let out = self.sh(running, None).await?;
        let field = |name: &str| {
            out.lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let version = |name: &str| {
            field(name)
                .filter(|v| crate::ssh::validate_name("version", v).is_ok())
                .map(str::to_string)
        };
        Ok(State {
            current: version("current="),
            previous: version("previous="),
            running: field("running=") == Some("yes"),
            launcher_sum: field("launcher=").map(str::to_string),
            port: field("port=").and_then(|p| p.parse().ok()),
        })
    }

    pub(super) async fn act(
        &self,
        job: &StackJob<'_>,
        progress: &mut (dyn FnMut(String) + Send),
    ) -> Result<StackReport, InstallError> {
        let config = job.config;
        let mut states = Vec::new();
        let layout = crate::stack::layout(config).map_err(failed)?;
        for c in StackComponent::for_layout(&layout) {
            states.push((c, self.state(c).await?));
        }
        // What each server needs, decided before anything is touched.
        let mut plans = Vec::new();
        for (c, state) in &states {
            let launcher = self.launcher(*c, config);
            let want = match (job.action, job.wanted(*c)) {
                (StackAction::Reload, _) => None,
                (_, Some(w)) => Some(w),
                (_, None) => return Err(failed(format!("no {} in the bundle", c.name()))),
            };
            if job.action == StackAction::Reload && state.current.is_none() {
                return Err(failed(format!(
                    "{} is not installed on {}: run `aami-tui stack install` first",
                    c.name(),
                    self.r.place()
                )));
            }
            let flags_changed =
                state.launcher_sum.as_deref() != Some(&sha256_hex(launcher.as_bytes()));
            let other_version = want.is_some_and(|w| state.current.as_deref() != Some(&w.version));
            let ready = state.running && self.ready_once(c.port(config)).await;
            let restart = other_version || flags_changed || !ready;
            if job.action == StackAction::Reload && restart {
                let why = if flags_changed {
                    "its port, storage path or retention changed"
                } else {
                    "it is not running"
                };
                return Err(failed(format!(
                    "{} needs a restart, not a reload ({why}): run `aami-tui stack upgrade`",
                    c.name()
                )));
            }
            plans.push(Plan {
                c: *c,
                old: state.clone(),
                want,
                launcher,
                restart,
                flags_changed,
            });
        }
        for p in plans.iter().filter(|p| p.restart) {
            self.preflight(p, config).await?;
        }
        // From here on, a failure undoes what was done.
        let mut changed = self.changed_files(job.files).await?;
        let stale = self.stale_files(job.files).await?;
        changed.extend(stale.iter().cloned());
        let mut undo: Vec<Undo> = Vec::new();
        let mut servers = Vec::new();
        let result = async {
            if !changed.is_empty() {
                self.upload_files(job.files, &changed).await?;
                progress(format!(
                    "configuration: {} written to {}",
                    changed.join(", "),
                    self.dir
                ));
            }
            for p in &plans {
                let change = self.apply(job, p, &changed, &mut undo, progress).await?;
                servers.push((p.c, change));
            }
            Ok::<(), InstallError>(())
        }
        .await;
        match result {
            Ok(()) => {
                self.forget_previous_files().await;
                Ok(StackReport {
                    changed_files: changed.into_iter().filter(|p| !stale.contains(p)).collect(),
                    removed_files: stale,
                    servers,
                })
            }
            Err(why) => Err(self.undo(why, config, &changed, undo).await),
        }
    }

    /// One server: switched and started, reloaded, or left alone.
    pub(super) async fn apply(
        &self,
        job: &StackJob<'_>,
        p: &Plan<'_>,
        changed: &[String],
        undo: &mut Vec<Undo>,
        progress: &mut (dyn FnMut(String) + Send),
    ) -> Result<ServerChange, InstallError> {
        let config = job.config;
        let c = p.c;
        let port = c.port(config);
        let version = p
            .want
            .map(|w| w.version.clone())
            .or_else(|| p.old.current.clone())
            .unwrap_or_default();
        if p.restart {
            if let Some(w) = p.want {
                let bundle = job
                    .bundle
                    .ok_or_else(|| failed("no bundle to install from"))?;
                let bytes = bundle
                    .bytes(w)
                    .ok_or_else(|| failed(format!("{} is not in the bundle", w.path)))?;
                self.upload_binary(c, w, bytes, progress).await?;
            }
            undo.push(Undo::Switched {
                c,
                old: p.old.clone(),
            });
            self.stop(c).await?;
            self.save_launcher(c).await?;
            if let Some(old) = p.old.current.as_deref().filter(|v| *v != version) {
                self.link(c, "previous", old).await?;
            }
            self.link(c, "current", &version).await?;
            self.write_launcher(c, &p.launcher).await?;
            self.start(c).await?;
            self.wait_ready(c, port, &version, progress).await?;
            return Ok(if p.old.current.as_deref() == Some(version.as_str()) {
                ServerChange::Restarted {
                    version,
                    why: if !p.old.running {
                        "it was not running"
                    } else if p.flags_changed {
                        "new port, storage or retention"
                    } else {
                        "it was not ready"
                    },
                }
            } else {
                ServerChange::Installed {
                    version,
                    from: p.old.current.clone(),
                }
            });
        }
        if changed.iter().any(|f| c.reloads_for(f)) {
            undo.push(Undo::Reloaded(c));
            self.reload(c, port).await?;
            progress(format!("{} reloaded its configuration", c.name()));
            return Ok(ServerChange::Reloaded { version });
        }
        Ok(ServerChange::Unchanged { version })
    }

    /// Checks that can be made before anything changes: the port is free
    /// (or held by this same server, which is about to restart) and the
    /// storage folder can be written.
    pub(super) async fn preflight(
        &self,
        p: &Plan<'_>,
        config: &Config,
    ) -> Result<(), InstallError> {
        let c = p.c;
        let port = c.port(config);
        let ours = p.old.running && p.old.port == Some(port);
        if !ours {
            let busy = self
                .sh(
                    RemoteCommand::template(
                        "p=$(printf ':%04X' {}); cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | \
                         awk -v p=\"$p\" 'substr($2, length($2) - 4) == p && $4 == \"0A\" { f = 1 } END { print (f ? \"busy\" : \"free\") }'",
                        &[&port.to_string()],
                    ),
                    None,
                )
                .await?;
            if busy.trim() == "busy" {
                return Err(failed(format!(
                    "port {port} on {} is already in use by another program, so {} cannot listen there: \
                     stop that program (`ss -ltnp 'sport = :{port}'` shows which) or set {} to a free port; nothing was changed",
                    self.r.place(),
                    c.name(),
                    c.port_key()
                )));
            }
        }
        let storage = c.storage(config);
        let cmd = match self.init {
            Init::Systemd => RemoteCommand::template(
                "s={}; id -u {} >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin {}; \
                 mkdir -p \"$s\" && chown {} \"$s\" && t=\"$s/.aami-write-test\" && : > \"$t\" && rm -f \"$t\"",
                &[&storage, STACK_USER, STACK_USER, STACK_USER],
            ),
            Init::Pidfile => RemoteCommand::template(
                "s={}; mkdir -p \"$s\" && t=\"$s/.aami-write-test\" && : > \"$t\" && rm -f \"$t\"",
                &[&storage],
            ),
        };
        self.sh(cmd, None).await.map_err(|e| {
            failed(format!(
                "{} cannot write its storage folder {storage} ({e}): make it writable{}, or set {} to a folder that is; nothing was changed",
                c.name(),
                match self.init {
                    Init::Systemd => format!(" for {STACK_USER}"),
                    Init::Pidfile => String::new(),
                },
                c.storage_key()
            ))
        })?;
        Ok(())
    }

    /// The files whose text differs from what the host holds (or that it
    /// lacks).
    pub(super) async fn changed_files(
        &self,
        files: &[StackFile],
    ) -> Result<Vec<String>, InstallError> {
        let list: String = files.iter().map(|f| format!("{}\n", f.path)).collect();
        let out = self
            .sh(
                RemoteCommand::template(
                    "cd {} 2>/dev/null || exit 0; while IFS= read -r f; do sha256sum -- \"$f\" 2>/dev/null; done; true",
                    &[self.dir],
                ),
                Some(list.as_bytes()),
            )
            .await?;
        let there: std::collections::HashMap<&str, &str> = out
            .lines()
            .filter_map(|l| l.split_once("  "))
            .map(|(sum, path)| (path, sum))
            .collect();
        Ok(files
            .iter()
            .filter(|f| there.get(f.path.as_str()) != Some(&sha256_hex(f.text.as_bytes()).as_str()))
            .map(|f| f.path.clone())
            .collect())
    }

    /// Files in the folders Prometheus reads by pattern (`rules/*.yml`,
    /// `targets/*.json`) that the new set no longer has: left there, they
    /// would keep being loaded.
    pub(super) async fn stale_files(
        &self,
        files: &[StackFile],
    ) -> Result<Vec<String>, InstallError> {
        let out = self
            .sh(
                RemoteCommand::template(
                    "cd {} 2>/dev/null || exit 0; for f in rules/* targets/*; do [ -f \"$f\" ] && echo \"$f\"; done; true",
                    &[self.dir],
                ),
                None,
            )
            .await?;
        Ok(out
            .lines()
            .filter(|p| !p.ends_with(".part") && check_file_path(p).is_ok())
            .filter(|p| !files.iter().any(|f| f.path == *p))
            .map(str::to_string)
            .collect())
    }

    /// Writes the changed files, each beside itself then renamed over the
    /// old one, which is kept in `.previous/` (or marked absent).
    pub(super) async fn upload_files(
        &self,
        files: &[StackFile],
        changed: &[String],
    ) -> Result<(), InstallError> {
        self.sh(
            RemoteCommand::template(
                "umask 022; mkdir -p {} && rm -rf {}",
                &[self.dir, &format!("{}/.previous", self.dir)],
            ),
            None,
        )
        .await?;
        for f in files.iter().filter(|f| changed.contains(&f.path)) {
            self.sh(
                RemoteCommand::template(
                    "umask 022; d={}; f={}; b=\"$d/.previous/$f\"; mkdir -p \"$(dirname \"$d/$f\")\" \"$(dirname \"$b\")\" && \
                     if [ -e \"$d/$f\" ]; then cp -p \"$d/$f\" \"$b\"; else : > \"$b.absent\"; fi && \
                     cat > \"$d/$f.part\" && mv -f \"$d/$f.part\" \"$d/$f\"",
                    &[self.dir, &f.path],
                ),
                Some(f.text.as_bytes()),
            )
            .await?;
        }
        for f in changed
            .iter()
            .filter(|p| !files.iter().any(|f| f.path == **p))
        {
            self.sh(
                RemoteCommand::template(
                    "d={}; f={}; b=\"$d/.previous/$f\"; mkdir -p \"$(dirname \"$b\")\" && mv -f \"$d/$f\" \"$b\"",
                    &[self.dir, f],
                ),
                None,
            )
            .await?;
        }
        Ok(())
    }

    /// Puts back the files `upload_files` replaced or removed.
    pub(super) async fn restore_files(&self, changed: &[String]) -> Result<(), InstallError> {
        for f in changed {
            self.sh(
                RemoteCommand::template(
                    "d={}; f={}; b=\"$d/.previous/$f\"; if [ -e \"$b.absent\" ]; then rm -f \"$d/$f\"; \
                     elif [ -e \"$b\" ]; then mv -f \"$b\" \"$d/$f\"; fi",
                    &[self.dir, f],
                ),
                None,
            )
            .await?;
        }
        Ok(())
    }

    pub(super) async fn forget_previous_files(&self) {
        let _ = self
            .sh(
                RemoteCommand::template("rm -rf {}", &[&format!("{}/.previous", self.dir)]),
                None,
            )
            .await;
    }

    /// Into `<version>/` unless already there with the bundle's sha256,
    /// checked on the host.
    pub(super) async fn upload_binary(
        &self,
        c: StackComponent,
        w: &Component,
        bytes: &[u8],
        progress: &mut (dyn FnMut(String) + Send),
    ) -> Result<(), InstallError> {
        let vdir = format!("{}/{}", self.cdir(c), w.version);
        let bin = format!("{vdir}/{}", c.binary());
        let there = self
            .sh(
                RemoteCommand::template("sha256sum {} 2>/dev/null; true", &[&bin]),
                None,
            )
            .await?;
        if there.split_whitespace().next() == Some(w.sha256.as_str()) {
            return Ok(());
        }
        super::super::upload::upload_checked(
            self.r,
            &vdir,
            c.binary(),
            w,
            bytes,
            &self.r.place(),
            progress,
        )
        .await
    }

    pub(super) async fn link(
        &self,
        c: StackComponent,
        name: &str,
        version: &str,
    ) -> Result<(), InstallError> {
        let link = format!("{}/{name}", self.cdir(c));
        self.sh(crate::install::switch_link(&link, version), None)
            .await
            .map(|_| ())
    }

    /// Keeps the launcher as `<launcher>.previous` (or marks it absent).
    pub(super) async fn save_launcher(&self, c: StackComponent) -> Result<(), InstallError> {
        self.sh(
            RemoteCommand::template(
                "l={}; rm -f \"$l.previous\" \"$l.absent\"; if [ -e \"$l\" ]; then cp -p \"$l\" \"$l.previous\"; else : > \"$l.absent\"; fi",
                &[&self.launcher_path(c)],
            ),
            None,
        )
        .await
        .map(|_| ())
    }

    pub(super) async fn restore_launcher(&self, c: StackComponent) -> Result<(), InstallError> {
        let cmd = match self.init {
            // A unit that did not exist before is not left enabled.
            Init::Systemd => RemoteCommand::template(
                "l={}; if [ -e \"$l.absent\" ]; then systemctl disable {} >/dev/null 2>&1; rm -f \"$l\" \"$l.absent\"; \
                 elif [ -e \"$l.previous\" ]; then mv -f \"$l.previous\" \"$l\"; fi; systemctl daemon-reload",
                &[&self.launcher_path(c), &unit_name(c)],
            ),
            Init::Pidfile => RemoteCommand::template(
                "l={}; if [ -e \"$l.absent\" ]; then rm -f \"$l\" \"$l.absent\"; elif [ -e \"$l.previous\" ]; then mv -f \"$l.previous\" \"$l\"; fi",
                &[&self.launcher_path(c)],
            ),
        };
        self.sh(cmd, None).await.map(|_| ())
    }

    pub(super) async fn write_launcher(
        &self,
        c: StackComponent,
        text: &str,
    ) -> Result<(), InstallError> {
        let cmd = match self.init {
            Init::Systemd => RemoteCommand::template(
                "id -u {} >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin {}; \
                 cat > {} && systemctl daemon-reload && systemctl enable {} >/dev/null",
                &[
                    STACK_USER,
                    STACK_USER,
                    &self.launcher_path(c),
                    &unit_name(c),
                ],
            ),
            Init::Pidfile => RemoteCommand::template(
                "mkdir -p {} && cat > {}",
                &[&self.cdir(c), &self.launcher_path(c)],
            ),
        };
        self.sh(cmd, Some(text.as_bytes())).await.map(|_| ())
    }

    pub(super) async fn start(&self, c: StackComponent) -> Result<(), InstallError> {
        let cmd = match self.init {
            Init::Systemd => RemoteCommand::template("systemctl restart {}", &[&unit_name(c)]),
            Init::Pidfile => {
                RemoteCommand::template(crate::install::DETACHED_START, &[&self.cdir(c)])
            }
        };
        self.sh(cmd, None).await.map(|_| ())
    }

    /// Stops the server and waits for it to exit (Prometheus holds a lock
    /// on its storage until it has).
    pub(super) async fn stop(&self, c: StackComponent) -> Result<(), InstallError> {
        let cmd = match self.init {
            Init::Systemd => {
                RemoteCommand::template("systemctl stop {} 2>/dev/null || true", &[&unit_name(c)])
            }
            Init::Pidfile => RemoteCommand::template(
                "f={}; if [ -f \"$f\" ]; then p=$(cat \"$f\"); kill \"$p\" 2>/dev/null; i=0; \
                 while kill -0 \"$p\" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; \
                 kill -9 \"$p\" 2>/dev/null; rm -f \"$f\"; fi; true",
                &[&format!("{}/run.pid", self.cdir(c))],
            ),
        };
        self.sh(cmd, None).await.map(|_| ())
    }

    /// Whether it is alive, with its last log lines.
    pub(super) async fn alive(&self, c: StackComponent) -> Result<(bool, String), InstallError> {
        let cmd = match self.init {
            Init::Systemd => RemoteCommand::template(
                "systemctl is-active --quiet {} && echo alive || echo dead; journalctl -u {} -n 4 --no-pager -q 2>/dev/null || true",
                &[&unit_name(c), &unit_name(c)],
            ),
            Init::Pidfile => RemoteCommand::template(
                "d={}; if [ -f \"$d/run.pid\" ] && kill -0 \"$(cat \"$d/run.pid\")\" 2>/dev/null; then echo alive; else echo dead; fi; tail -n 4 \"$d/log\" 2>/dev/null || true",
                &[&self.cdir(c)],
            ),
        };
        let out = self.sh(cmd, None).await?;
        let mut lines = out.lines();
        let alive = lines.next() == Some("alive");
        Ok((
            alive,
            crate::text::sanitize_max(&lines.collect::<Vec<_>>().join(" | "), 400),
        ))
    }

    pub(super) async fn ready_once(&self, port: u16) -> bool {
        crate::sources::http::client()
            .get(self.url(port, "/-/ready"))
            .timeout(Duration::from_secs(3))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    /// Waits for `/-/ready`, then checks the version it reports.
    pub(super) async fn wait_ready(
        &self,
        c: StackComponent,
        port: u16,
        version: &str,
        progress: &mut (dyn FnMut(String) + Send),
    ) -> Result<(), InstallError> {
        let url = self.url(port, "/-/ready");
        let client = crate::sources::http::client();
        let deadline = Instant::now() + self.verify_timeout;
        let mut last;
        loop {
            match client
                .get(&url)
                .timeout(Duration::from_secs(3))
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => break,
                Ok(r) => last = format!("HTTP {}", r.status()),
                Err(e) => last = crate::text::sanitize_max(&e.to_string(), 120),
            }
            let (alive, log) = self.alive(c).await?;
            if !alive {
                return Err(failed(format!(
                    "{} {version} exited instead of becoming ready{}; its log: {log}",
                    c.name(),
                    exit_hint(&log, c, port)
                )));
            }
            if Instant::now() >= deadline {
                return Err(failed(format!(
                    "{} {version} did not become ready within {}s ({url}: {last}): it is running but not ready \
                     (a long storage replay can take this long: give --verify-timeout more seconds)",
                    c.name(),
                    self.verify_timeout.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let page = client
            .get(self.url(port, "/metrics"))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|e| failed(format!("{} /metrics: {e}", c.name())))?
            .text()
            .await
            .unwrap_or_default();
        match crate::install::component::reported_version(&page, c.build_info()) {
            Some(v) if version_matches(version, &v) => {}
            Some(v) => {
                return Err(failed(format!(
                    "{} reports version {}, the bundle says {version}",
                    c.name(),
                    crate::text::sanitize_max(&v, 40)
                )));
            }
            None => {
                return Err(failed(format!(
                    "{} answers but its /metrics has no {}",
                    c.name(),
                    c.build_info()
                )));
            }
        }
        progress(format!("{} {version} ready on port {port}", c.name()));
        Ok(())
    }

    /// `POST /-/reload`; the server keeps its old configuration when it
    /// refuses the new one, and says why.
    pub(super) async fn reload(&self, c: StackComponent, port: u16) -> Result<(), InstallError> {
        let url = self.url(port, "/-/reload");
        let r = crate::sources::http::client()
            .post(&url)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| {
                failed(format!(
                    "{}: {url}: {}",
                    c.name(),
                    crate::text::sanitize_max(&e.to_string(), 160)
                ))
            })?;
        if r.status().is_success() {
            return Ok(());
        }
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        let hint = if status.as_u16() == 403 {
            " (the lifecycle API is off: it was not started by aami; run `aami-tui stack upgrade` to restart it with --web.enable-lifecycle)"
        } else {
            ""
        };
        Err(failed(format!(
            "{} refused the new configuration (HTTP {status}): {}{hint}",
            c.name(),
            crate::text::sanitize_max(body.trim(), 400)
        )))
    }

    /// Undoes `undo` after `why`: files first (so a restarted or reloaded
    /// server reads the old ones), then each step in reverse.
    pub(super) async fn undo(
        &self,
        why: InstallError,
        config: &Config,
        changed: &[String],
        undo: Vec<Undo>,
    ) -> InstallError {
        let mut done = Vec::new();
        let mut trouble = Vec::new();
        let any_ran = undo.iter().any(|u| match u {
            Undo::Switched { old, .. } => old.running,
            Undo::Reloaded(_) => true,
        });
        if !changed.is_empty() {
            match self.restore_files(changed).await {
                Ok(()) => done.push("the previous configuration files are back".to_string()),
                Err(e) => trouble.push(format!("restoring the configuration files: {e}")),
            }
        }
        for step in undo.into_iter().rev() {
            match step {
                Undo::Reloaded(c) => match self.reload(c, c.port(config)).await {
                    Ok(()) => done.push(format!("{} reloaded them", c.name())),
                    Err(e) => trouble.push(e.to_string()),
                },
                Undo::Switched { c, old } => match self.switch_back(c, &old, config).await {
                    Ok(Some(line)) => done.push(line),
                    Ok(None) => done.push(format!(
                        "{} was not running before and is stopped",
                        c.name()
                    )),
                    Err(e) => trouble.push(format!("putting {} back: {e}", c.name())),
                },
            }
        }
        let mut text = why.to_string();
        if !done.is_empty() {
            text.push_str("; rolled back: ");
            text.push_str(&done.join(", "));
        }
        self.forget_previous_files().await;
        if trouble.is_empty() {
            text.push_str(if any_ran {
                "; the previous stack is running"
            } else {
                "; nothing ran before, so nothing runs now"
            });
        } else {
            text.push_str("; rolling back failed too: ");
            text.push_str(&trouble.join("; "));
        }
        failed(text)
    }

    /// Back to the version and launcher in `old`, started again if it ran.
    pub(super) async fn switch_back(
        &self,
        c: StackComponent,
        old: &State,
        config: &Config,
    ) -> Result<Option<String>, InstallError> {
        self.stop(c).await?;
        self.restore_launcher(c).await?;
        let Some(v) = old.current.as_deref() else {
            self.sh(
                RemoteCommand::template("rm -f {}", &[&format!("{}/current", self.cdir(c))]),
                None,
            )
            .await?;
            return Ok(None);
        };
        self.link(c, "current", v).await?;
        match old.previous.as_deref() {
            Some(p) => self.link(c, "previous", p).await?,
            None => {
                self.sh(
                    RemoteCommand::template("rm -f {}", &[&format!("{}/previous", self.cdir(c))]),
                    None,
                )
                .await?;
            }
        }
        if !old.running {
            return Ok(None);
        }
        self.start(c).await?;
        let port = old.port.unwrap_or(c.port(config));
        let mut quiet = |_: String| {};
        self.wait_ready(c, port, v, &mut quiet).await?;
        Ok(Some(format!("{} {v} is running and ready", c.name())))
    }
}

pub(super) struct Plan<'a> {
    pub(super) c: StackComponent,
    pub(super) old: State,
    pub(super) want: Option<&'a Component>,
    pub(super) launcher: String,
    pub(super) restart: bool,
    pub(super) flags_changed: bool,
}

/// What a log tail says about why the server exited.
pub(super) fn exit_hint(log: &str, c: StackComponent, port: u16) -> String {
    let l = log.to_ascii_lowercase();
    if l.contains("address already in use") {
        format!(
            " (port {port} is in use: stop what holds it or set {} to a free port)",
            c.port_key()
        )
    } else if l.contains("permission denied") || l.contains("read-only file system") {
        format!(
            " (it cannot write a file it needs: check {} and the configuration folder's permissions)",
            c.storage_key()
        )
    } else if l.contains("lock") && l.contains("storage") {
        " (another Prometheus holds the storage folder's lock)".into()
    } else {
        String::new()
    }
}
