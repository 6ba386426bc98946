//! A real SMTP server that takes every message and keeps none, for the API benchmark
//! (`bench/api.sh`): alerts go out over SMTP as they would in production. Prints how
//! many messages it has taken, once a second while the count changes.
//!
//!   beacon-smtp-sink PORT

use std::time::Duration;

use beacon_tests::smtp::SmtpServer;

fn main() {
    let port = std::env::args()
        .nth(1)
        .and_then(|port| port.parse::<u16>().ok())
        .unwrap_or(2525);
    let server = SmtpServer::start_on(port).discarding();
    println!("taking mail on smtp://127.0.0.1:{}", server.port);
    let mut last = 0;
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let taken = server.taken();
        if taken != last {
            println!("{taken} messages taken");
            last = taken;
        }
    }
}
