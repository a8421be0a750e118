//! A loopback port whose connection attempts get no answer, as behind a firewall that drops
//! packets: a listener with the smallest accept queue, filled by connections nobody accepts, so
//! that the next SYN is dropped. Where the system refuses instead of dropping (Windows resets on
//! a full queue), the demo says it cannot show this fault.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// How long a connection attempt must hang to count as unanswered.
const HANG: Duration = Duration::from_millis(200);

/// A blackholed port; dropping it releases the port.
pub struct Blackhole {
    addr: SocketAddr,
    _listener: TcpListener,
    _fillers: Vec<TcpStream>,
}

impl Blackhole {
    /// Blackholes a fresh port on 127.0.0.1.
    pub async fn bind() -> anyhow::Result<Blackhole> {
        let socket = TcpSocket::new_v4()?;
        socket.bind((Ipv4Addr::LOCALHOST, 0).into())?;
        let listener = socket.listen(0)?;
        let addr = listener.local_addr()?;
        let mut fillers = Vec::new();
        for _ in 0..8 {
            match tokio::time::timeout(HANG, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => fillers.push(stream),
                Ok(Err(e)) => anyhow::bail!("cannot blackhole a loopback port here: {e}"),
                Err(_) => {
                    return Ok(Blackhole {
                        addr,
                        _listener: listener,
                        _fillers: fillers,
                    });
                }
            }
        }
        anyhow::bail!("cannot blackhole a loopback port here: every connection was accepted")
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}
