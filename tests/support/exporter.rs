//! `imapdoctor serve` as a child process on a loopback port, scraped with a raw HTTP/1.1 GET on
//! a loopback TCP connection; its stderr is kept, to be read once it has stopped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use super::scripted::CANARY;

/// The password variable the test config files' modules name.
pub const PROBE_PASSWORD_ENV: &str = "PROBE_PASSWORD";

/// A running exporter; killed on drop.
pub struct Exporter {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its stderr's lines after the `listening on` one, as they come.
    said: Mutex<Receiver<String>>,
    _config: tempfile::NamedTempFile,
}

impl Exporter {
    /// Starts `imapdoctor serve --listen 127.0.0.1:0 --config <config>` with the canary in
    /// [`PROBE_PASSWORD_ENV`]; waits for its `listening on` line.
    pub fn start(config: &str) -> Exporter {
        Exporter::start_with(config, &[(PROBE_PASSWORD_ENV, CANARY)])
    }

    /// As [`Exporter::start`], with `env` as the only variables besides PATH.
    pub fn start_with(config: &str, env: &[(&str, &str)]) -> Exporter {
        Exporter::start_with_args(config, env, &[])
    }

    /// As [`Exporter::start_with`], with more `serve` options.
    pub fn start_with_args(config: &str, env: &[(&str, &str)], args: &[&str]) -> Exporter {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), config).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_imapdoctor"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().copied())
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(file.path())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the exporter said where it listens");
        let addr = line
            .rsplit_once("http://")
            .unwrap_or_else(|| panic!("{line}"))
            .1
            .parse()
            .unwrap();
        Exporter {
            child,
            addr,
            said: Mutex::new(rx),
            _config: file,
        }
    }

    /// GET `path` with `headers`: the status code and the body.
    pub fn get(&self, path: &str, headers: &[&str]) -> (u16, String) {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for h in headers {
            request.push_str(h);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        assert!(!answer.contains(CANARY), "{answer}");
        (status, body.to_string())
    }

    /// Stops the exporter and returns everything it wrote on stderr after the `listening on`
    /// line.
    pub fn stop(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let said = self.said.lock().unwrap();
        let mut text = String::new();
        // The reader thread ends (and the channel closes) when the pipe does.
        while let Ok(line) = said.recv_timeout(Duration::from_secs(10)) {
            text.push_str(&line);
            text.push('\n');
        }
        text
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
