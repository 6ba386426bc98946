//! A real browser for the web pages' tests: Debian's Chromium, headless, driven over
//! WebDriver by its own ChromeDriver on a free port. `.ci/run` installs both.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// axe-core, from the npm registry: `.ci/run` installs it here; it is never shipped.
pub const AXE: &str = "target/axe/node_modules/axe-core/axe.min.js";

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

    /// Chooses the option with `value` in the select box `css`.
    pub fn choose(&self, css: &str, value: &str) {
        self.runtime.block_on(async {
            let element = self.client.find(Locator::Css(css)).await.unwrap();
            element.select_by_value(value).await.unwrap();
        });
    }

    pub fn fill(&self, css: &str, value: &str) {
        self.runtime.block_on(async {
            let element = self.client.find(Locator::Css(css)).await.unwrap();
            element.clear().await.unwrap();
            element.send_keys(value).await.unwrap();
        });
    }

    /// Clicks what `css` selects. A link or a submit button loads a page: the call
    /// returns once the new page has loaded, so the next look is at it, not the old one.
    pub fn click(&self, css: &str) {
        self.runtime.block_on(async {
            let element = self.client.find(Locator::Css(css)).await.unwrap();
            let tag = element.tag_name().await.unwrap().to_lowercase();
            let kind = element.attr("type").await.unwrap().unwrap_or_default();
            let navigates = tag == "a" || (tag == "button" && kind != "button");
            if navigates {
                self.client
                    .execute("document.documentElement.dataset.seen = 'yes'", Vec::new())
                    .await
                    .unwrap();
            }
            element.click().await.unwrap();
            if navigates {
                let fresh = "return document.readyState === 'complete' && !document.documentElement.dataset.seen";
                let deadline = Instant::now() + Duration::from_secs(10);
                while Instant::now() < deadline {
                    let loaded = self.client.execute(fresh, Vec::new()).await;
                    if matches!(loaded, Ok(serde_json::Value::Bool(true))) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
            }
        });
    }

    /// The serious and critical WCAG 2.2 A and AA violations axe-core finds on the
    /// page, one line each.
    pub fn accessibility_problems(&self) -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(AXE);
        let axe = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "the accessibility check needs axe-core at {AXE}: npm install --prefix target/axe axe-core (.ci/run does)"
            )
        });
        let check = "const done = arguments[arguments.length - 1];
            axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] })
              .then(result => done(result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
              .catch(error => done(['axe failed: ' + error]));";
        self.runtime.block_on(async {
            self.client.execute(&axe, Vec::new()).await.unwrap();
            let found = self.client.execute_async(check, Vec::new()).await.unwrap();
            serde_json::from_value(found).unwrap()
        })
    }

    /// Runs a script in the page, as a test that breaks a page on purpose does.
    pub fn run_script(&self, script: &str) {
        self.runtime
            .block_on(self.client.execute(script, Vec::new()))
            .unwrap();
    }

    /// Saves a picture of the page as `docs/screenshots/NAME.png` when
    /// BEACON_SCREENSHOTS is set, for the README.
    pub fn screenshot(&self, name: &str) {
        if std::env::var_os("BEACON_SCREENSHOTS").is_none() {
            return;
        }
        let png = self.runtime.block_on(self.client.screenshot()).unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
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
