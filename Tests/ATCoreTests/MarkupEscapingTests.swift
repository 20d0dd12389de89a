import Testing

@testable import ATCore

@Suite struct MarkupEscapingTests {
    @Test func escapesTheFiveMarkupCharacters() {
        let text = #"<a href="x">Tom & Jerry's</a>"#
        #expect(
            escapeMarkup(text, apostrophe: .numeric)
                == "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;")
        #expect(
            escapeMarkup(text, apostrophe: .named) == "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;")
    }

    @Test func keepsEverythingElse() {
        #expect(escapeMarkup("", apostrophe: .named) == "")
        #expect(escapeMarkup("plain text, é, 日本, 👩‍👩‍👧", apostrophe: .numeric) == "plain text, é, 日本, 👩‍👩‍👧")
    }

    @Test func escapesAQuoteCarryingACombiningMark() {
        // One Character ("\"" + U+0301), which is not equal to "\"": it must not end a quoted attribute.
        #expect(escapeMarkup("\"\u{301} onload=x", apostrophe: .numeric) == "&quot;\u{301} onload=x")
        #expect(escapeMarkup("<\u{338}", apostrophe: .named) == "&lt;\u{338}")
    }
}
