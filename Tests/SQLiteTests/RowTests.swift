import SQLite
import Testing

@Suite struct RowTests {
    let row = Row(
        columnNames: ["i", "r", "t", "b", "n", "i"],
        values: [.integer(1), .real(2.5), .text("x"), .blob([0]), .null, .integer(9)])

    @Test func subscriptsByIndexAndName() {
        #expect(row[0] == .integer(1))
        #expect(row["t"] == .text("x"))
        #expect(row["i"] == .integer(1), "first column with a duplicate name wins")
        #expect(row.contains("r"))
    }

    @Test func unknownNameAndOutOfRangeIndexReadAsNull() {
        #expect(row["missing"] == .null)
        #expect(row[-1] == .null)
        #expect(row[6] == .null)
        #expect(!row.contains("missing"))
        #expect(row.int("missing") == nil)
    }

    @Test func typedAccessors() {
        #expect(row.int("i") == 1)
        #expect(row.bool("i") == true)
        #expect(row.double("r") == 2.5)
        #expect(row.double("i") == 1.0)
        #expect(row.string("t") == "x")
        #expect(row.blob("b") == [0])
    }

    @Test func typedAccessorsRejectOtherTypes() {
        #expect(row.int("t") == nil)
        #expect(row.bool("n") == nil)
        #expect(row.string("b") == nil)
        #expect(row.blob("t") == nil)
        #expect(row.double("t") == nil)
        #expect(row.string("n") == nil)
    }
}
