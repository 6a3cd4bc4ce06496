import Testing
@testable import FluxerAPI
@testable import FluxerApp

@Suite struct TOMLSubsetTests {
    @Test func parsesTablesValuesAndComments() throws {
        let values = try TOMLSubset.parse("""
        # comment
        top = true
        [a]
        s = "x # not a comment" # comment
        n = -1_000
        list = [
          "one", # first
          "two",
        ]
        [b.c]
        e = "q\\"\\\\\\n"
        """)
        #expect(values["top"] == .bool(true))
        #expect(values["a.s"] == .string("x # not a comment"))
        #expect(values["a.n"] == .integer(-1000))
        #expect(values["a.list"] == .array([.string("one"), .string("two")]))
        #expect(values["b.c.e"] == .string("q\"\\\n"))
    }

    @Test(arguments: ["a = ", "a = 01", "a = 1_", "a = tru", "a = \"x", "a = [1, 2", "[[t]]", "a = 1 2", "[] ", "a b = 1",
                      "a = \"\\q\"", "a = 9999999999999999999"])
    func rejectsOutsideTheSubset(text: String) {
        #expect(throws: TOMLSyntaxError.self) { try TOMLSubset.parse(text) }
    }

    @Test func reportsTheLine() {
        let error = #expect(throws: TOMLSyntaxError.self) { try TOMLSubset.parse("a = 1\n\nb = ?\n") }
        #expect(error?.line == 3)
    }
}
