//! The ready-to-run snippets of the key card, prefilled with the attendee's key and the
//! workshop's first model: curl, Python and JavaScript with the `openai` SDKs pointed at
//! OpenRouter, and a `.env` file (also served as a download). One place, so the page and
//! the download never disagree.

/// OpenRouter's OpenAI-compatible API.
pub const OPENROUTER_BASE_URL: &str = "https://openrouter.ai/api/v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnippetKind {
    Curl,
    Python,
    JavaScript,
    DotEnv,
}

impl SnippetKind {
    pub const ALL: [SnippetKind; 4] = [
        SnippetKind::Curl,
        SnippetKind::Python,
        SnippetKind::JavaScript,
        SnippetKind::DotEnv,
    ];

    /// The tab's name.
    pub fn label(self) -> &'static str {
        match self {
            SnippetKind::Curl => "curl",
            SnippetKind::Python => "Python",
            SnippetKind::JavaScript => "JavaScript",
            SnippetKind::DotEnv => ".env",
        }
    }

    /// A stable id fragment for the tab and its panel.
    pub fn id(self) -> &'static str {
        match self {
            SnippetKind::Curl => "curl",
            SnippetKind::Python => "python",
            SnippetKind::JavaScript => "javascript",
            SnippetKind::DotEnv => "env",
        }
    }

    /// The snippet with `key` and `model` filled in.
    pub fn render(self, key: &str, model: &str) -> String {
        match self {
            SnippetKind::Curl => format!(
                "curl {OPENROUTER_BASE_URL}/chat/completions \\\n  \
                 -H \"Authorization: Bearer {key}\" \\\n  \
                 -H \"Content-Type: application/json\" \\\n  \
                 -d '{{\"model\": \"{model}\", \"messages\": [{{\"role\": \"user\", \"content\": \"Hello!\"}}]}}'"
            ),
            SnippetKind::Python => format!(
                "# pip install openai\nfrom openai import OpenAI\n\n\
                 client = OpenAI(\n    base_url=\"{OPENROUTER_BASE_URL}\",\n    api_key=\"{key}\",\n)\n\
                 reply = client.chat.completions.create(\n    model=\"{model}\",\n    \
                 messages=[{{\"role\": \"user\", \"content\": \"Hello!\"}}],\n)\n\
                 print(reply.choices[0].message.content)"
            ),
            SnippetKind::JavaScript => format!(
                "// npm install openai\nimport OpenAI from \"openai\";\n\n\
                 const client = new OpenAI({{\n  baseURL: \"{OPENROUTER_BASE_URL}\",\n  apiKey: \"{key}\",\n}});\n\
                 const reply = await client.chat.completions.create({{\n  model: \"{model}\",\n  \
                 messages: [{{ role: \"user\", content: \"Hello!\" }}],\n}});\n\
                 console.log(reply.choices[0].message.content);"
            ),
            SnippetKind::DotEnv => dot_env(key, model),
        }
    }
}

/// The `.env` block: the key under both names SDKs look for, and the base URL.
pub fn dot_env(key: &str, model: &str) -> String {
    format!(
        "OPENROUTER_API_KEY={key}\nOPENAI_API_KEY={key}\nOPENAI_BASE_URL={OPENROUTER_BASE_URL}\n\
         OPENROUTER_MODEL={model}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_snippet_carries_the_key_the_model_and_the_base_url() {
        for kind in SnippetKind::ALL {
            let text = kind.render("sk-or-v1-abc", "openai/gpt-5-nano");
            assert!(text.contains("sk-or-v1-abc"), "{kind:?}");
            assert!(text.contains("openai/gpt-5-nano"), "{kind:?}");
            assert!(text.contains(OPENROUTER_BASE_URL), "{kind:?}");
        }
        let env = dot_env("sk-or-v1-abc", "m");
        assert!(env.contains("OPENROUTER_API_KEY=sk-or-v1-abc\n"));
        assert!(env.contains("OPENAI_API_KEY=sk-or-v1-abc\n"));
        assert!(env.contains("OPENAI_BASE_URL=https://openrouter.ai/api/v1\n"));
    }
}
