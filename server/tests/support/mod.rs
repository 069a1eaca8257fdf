//! Starts the real server on port 0 with a fresh SQLite file, the given workshops and
//! a throwaway site folder, for HTTP-level tests.
#![allow(dead_code)] // each test binary uses a different part of this

use std::path::{Path, PathBuf};

use leptos::config::LeptosOptions;
use server::application::Application;
use server::config::{Config, Mode};

pub const OPEN_WORKSHOP: &str = "\
title: Open now
timezone: Europe/Berlin
claims_open_at: 2020-01-01T08:00:00+01:00
claims_close_at: 2099-12-31T18:00:00+01:00
key_limit_usd: 2
limit_usd: 10
allowed_models: [openai/gpt-5-nano]
admins: [organiser@example.com]
";

pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub struct TestAppBuilder {
    dir: tempfile::TempDir,
    hash_files: bool,
}

impl TestAppBuilder {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("workshops")).unwrap();
        std::fs::create_dir_all(dir.path().join("site/pkg")).unwrap();
        TestAppBuilder {
            dir,
            hash_files: false,
        }
    }

    pub fn workshop(self, slug: &str, yaml: &str) -> Self {
        std::fs::write(self.dir.path().join(format!("workshops/{slug}.yaml")), yaml).unwrap();
        self
    }

    pub fn site_file(self, relative: &str, content: &str) -> Self {
        std::fs::write(self.dir.path().join("site").join(relative), content).unwrap();
        self
    }

    pub fn hashed_files(mut self) -> Self {
        self.hash_files = true;
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> Config {
        let site_root: PathBuf = self.dir.path().join("site");
        let leptos_options = LeptosOptions::builder()
            .output_name("workshop-key-minter")
            .site_root(site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr("127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap())
            .hash_files(self.hash_files)
            .build();
        Config {
            leptos_options,
            database_url: format!("sqlite://{}/test.db?mode=rwc", self.dir.path().display()),
            workshops_dir: self.dir.path().join("workshops"),
            mode: Mode::Demo,
        }
    }

    pub async fn spawn(self) -> TestApp {
        let application = Application::build(self.config())
            .await
            .expect("the test server starts");
        let base_url = format!("http://{}", application.address());
        tokio::spawn(application.run_until_stopped());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            base_url,
            client,
            _dir: self.dir,
        }
    }
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base_url))
            .send()
            .await
            .unwrap()
    }
}
