//! A real browser for the web pages' tests: Debian's Chromium, headless, driven over
//! WebDriver by its own ChromeDriver on a free port. `.ci/run` installs both.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// One browser, closed with its driver when dropped. Its calls block, as the tests do.
pub struct Browser {
    client: Client,
    driver: Child,
    runtime: tokio::runtime::Runtime,
}

impl Browser {
    pub fn start() -> Self {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists(),
            "the browser tests need Debian's chromium and chromium-driver: apt-get install chromium chromium-driver (.ci/run does)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1024"]
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let connected = runtime.block_on(
                ClientBuilder::new(HttpConnector::new())
                    .capabilities(capabilities.clone())
                    .connect(&url),
            );
            match connected {
                Ok(client) => break client,
                Err(error) if Instant::now() > deadline => panic!("no browser: {error}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        Browser {
            client,
            driver,
            runtime,
        }
    }

    pub fn goto(&self, url: &str) {
        self.runtime.block_on(self.client.goto(url)).unwrap();
    }

    pub fn url(&self) -> String {
        self.runtime
            .block_on(self.client.current_url())
            .unwrap()
            .to_string()
    }

    /// The text of the first element `css` selects.
    pub fn text(&self, css: &str) -> String {
        self.runtime.block_on(async {
            let element = self.client.find(Locator::Css(css)).await.unwrap();
            element.text().await.unwrap()
        })
    }

    /// The texts of every element `css` selects.
    pub fn texts(&self, css: &str) -> Vec<String> {
        self.runtime.block_on(async {
            let mut texts = Vec::new();
            for element in self.client.find_all(Locator::Css(css)).await.unwrap() {
                texts.push(element.text().await.unwrap());
            }
            texts
        })
    }

    /// Whether `css` selects anything on the page.
    pub fn has(&self, css: &str) -> bool {
        self.runtime
            .block_on(self.client.find_all(Locator::Css(css)))
            .map(|found| !found.is_empty())
            .unwrap_or(false)
    }

    /// Whether the checkbox or radio button `css` selects is chosen.
    pub fn is_selected(&self, css: &str) -> bool {
        self.runtime.block_on(async {
            let element = self.client.find(Locator::Css(css)).await.unwrap();
            element.is_selected().await.unwrap()
        })
    }

    pub fn fill(&self, css: &str, value: &str) {
        self.runtime.block_on(async {
            let element = self.client.find(Locator::Css(css)).await.unwrap();
            element.clear().await.unwrap();
            element.send_keys(value).await.unwrap();
        });
    }

    pub fn click(&self, css: &str) {
        self.runtime.block_on(async {
            let element = self.client.find(Locator::Css(css)).await.unwrap();
            element.click().await.unwrap();
        });
    }

    /// Signs in on the page the browser is at (the sign-in page).
    pub fn sign_in(&self, email: &str, password: &str) {
        self.fill("#email", email);
        self.fill("#password", password);
        self.click("form[action='/sign-in'] button[type=submit]");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let client = self.client.clone();
        let _ = self.runtime.block_on(client.close());
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
