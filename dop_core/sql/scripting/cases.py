"""BigQuery scripting, as BigQuery documents it, in cases any engine running scripts can be checked against.

Each case is a script (an invocation's SQL, with the procedures it calls) written from the examples and
rules of BigQuery's procedural-language reference, and the rows BigQuery leaves in ``s.out`` after it.
DOP's DuckDB tests and dop-postgres' tests run the same cases (:func:`check_script_case`, exported by
``dop_core.testing``); so can the tests of any engine plugin built on ``InterpretedProcedures``.
"""

from __future__ import annotations

from typing import Any

import attrs

OUT = "CREATE TABLE s.out (k STRING, v INT64)"
ROWS = "SELECT k, v FROM s.out ORDER BY k, v"
_WORDS = ("CREATE TABLE s.words (word STRING, corpus STRING, word_count INT64)",
          "INSERT INTO s.words VALUES ('methinks', 'hamlet', 2), ('methinks', 'lear', 3), ('other', 'lear', 9), "
          "('methinks', 'hamlet', 1)")
_ITEMS = ("CREATE TABLE s.items (id INT64, qty INT64)", "INSERT INTO s.items VALUES (1, 1), (2, 2), (3, 3)")


@attrs.frozen
class ScriptCase:
    """A script, what to create before it (``setup`` SQL, ``procedures``), and what it leaves behind.

    ``procedures`` are ``(name in schema s, [(argument, type, mode)...], body)``. With ``error``, the script
    must fail with a message matching it; ``rows`` are then what is left (nothing it wrote). With
    ``fails_after``, that SQL must fail once the script is done (e.g. a temporary table is gone)."""

    name: str
    script: str
    rows: list[tuple[Any, ...]]
    setup: tuple[str, ...] = ()
    procedures: tuple[tuple[str, tuple[tuple[str, str, str], ...], str], ...] = ()
    error: str | None = None
    fails_after: str | None = None


SCRIPT_CASES = [
    ScriptCase(
        "DECLARE with a type, a DEFAULT, several names, and a type inferred from the DEFAULT",
        """
        DECLARE x INT64;
        DECLARE d DATE DEFAULT DATE '2024-01-02';
        DECLARE a, b, c INT64 DEFAULT 7;
        DECLARE word DEFAULT 'methinks';
        INSERT INTO s.out VALUES ('x is null', IF(x IS NULL, 1, 0)), ('day', EXTRACT(DAY FROM d)),
          ('a+b+c', a + b + c), ('word', LENGTH(word));
        """,
        [("a+b+c", 21), ("day", 2), ("word", 8), ("x is null", 1)]),
    ScriptCase(
        "DECLARE ... DEFAULT a query, and a DEFAULT using a variable declared before",
        """
        DECLARE first DEFAULT (SELECT word FROM s.words ORDER BY word_count DESC LIMIT 1);
        DECLARE greeting STRING DEFAULT CONCAT('hello ', first);
        INSERT INTO s.out VALUES (greeting, 1);
        """,
        [("hello other", 1)], setup=_WORDS),
    ScriptCase(
        "SET one variable, and SET (a, b, c) = (several expressions)",
        """
        DECLARE x INT64 DEFAULT 1;
        DECLARE a INT64;
        DECLARE b STRING;
        DECLARE c BOOL;
        SET x = x * 5;
        SET (a, b, c) = (1 + 3, 'foo', false);
        INSERT INTO s.out VALUES ('x', x), (b, a), ('c', IF(c, 1, 0));
        """,
        [("c", 0), ("foo", 4), ("x", 5)]),
    ScriptCase(
        "SET (a, b) = (SELECT AS STRUCT ...), where a column named like a variable is the column",
        """
        DECLARE target_word STRING DEFAULT 'methinks';
        DECLARE corpus_count, word_count INT64;
        SET (corpus_count, word_count) = (
          SELECT AS STRUCT COUNT(DISTINCT corpus), SUM(word_count)
          FROM s.words
          WHERE LOWER(word) = target_word
        );
        INSERT INTO s.out VALUES ('corpora', corpus_count), ('words', word_count);
        """,
        [("corpora", 2), ("words", 6)], setup=_WORDS),
    ScriptCase(
        "A variable and a column of the same name: the column wins (a CTE's and a table's)",
        """
        DECLARE x INT64 DEFAULT 0;
        DECLARE qty INT64 DEFAULT 100;
        SET x = 10;
        INSERT INTO s.out WITH Numbers AS (SELECT 50 AS x) SELECT 'column x + column x', (x + x) FROM Numbers;
        INSERT INTO s.out WITH Numbers AS (SELECT 50 AS y) SELECT 'column y + variable x', (y + x) FROM Numbers;
        INSERT INTO s.out SELECT 'sum of the column qty', SUM(qty) FROM s.items;
        INSERT INTO s.out VALUES ('variable qty', qty);
        """,
        [("column x + column x", 100), ("column y + variable x", 60), ("sum of the column qty", 6),
         ("variable qty", 100)], setup=_ITEMS),
    ScriptCase(
        "IF ... ELSEIF ... ELSE ... END IF",
        """
        DECLARE target_product_id INT64;
        FOR wanted IN (SELECT id FROM s.wanted ORDER BY id) DO
          SET target_product_id = wanted.id;
          IF EXISTS(SELECT 1 FROM s.products WHERE product_id = target_product_id) THEN
            INSERT INTO s.out VALUES ('found in products', target_product_id);
          ELSEIF EXISTS(SELECT 1 FROM s.more_products WHERE product_id = target_product_id) THEN
            INSERT INTO s.out VALUES ('found in more_products', target_product_id);
          ELSE
            INSERT INTO s.out VALUES ('not found', target_product_id);
          END IF;
        END FOR;
        """,
        [("found in more_products", 103), ("found in products", 1), ("not found", 999)],
        setup=("CREATE TABLE s.products (product_id INT64)", "INSERT INTO s.products VALUES (1)",
               "CREATE TABLE s.more_products (product_id INT64)", "INSERT INTO s.more_products VALUES (103)",
               "CREATE TABLE s.wanted (id INT64)", "INSERT INTO s.wanted VALUES (1), (103), (999)")),
    ScriptCase(
        "A condition that is NULL is not true (IF, ELSEIF, WHILE)",
        """
        DECLARE flag BOOL;
        DECLARE n INT64 DEFAULT 0;
        IF flag THEN
          INSERT INTO s.out VALUES ('if', 1);
        ELSEIF NOT flag THEN
          INSERT INTO s.out VALUES ('elseif', 1);
        ELSE
          INSERT INTO s.out VALUES ('else', 1);
        END IF;
        WHILE flag DO
          SET n = n + 1;
        END WHILE;
        INSERT INTO s.out VALUES ('while ran', n);
        """,
        [("else", 1), ("while ran", 0)]),
    ScriptCase(
        "WHILE ... DO ... END WHILE",
        """
        DECLARE i INT64 DEFAULT 1;
        DECLARE total INT64 DEFAULT 0;
        WHILE i <= 5 DO
          SET total = total + i;
          SET i = i + 1;
        END WHILE;
        INSERT INTO s.out VALUES ('total', total), ('i', i);
        """,
        [("i", 6), ("total", 15)]),
    ScriptCase(
        "LOOP ... END LOOP left with LEAVE",
        """
        DECLARE x INT64 DEFAULT 0;
        LOOP
          SET x = x + 1;
          IF x >= 10 THEN
            LEAVE;
          END IF;
        END LOOP;
        INSERT INTO s.out VALUES ('x', x);
        """,
        [("x", 10)]),
    ScriptCase(
        "REPEAT ... UNTIL: the body runs before the condition is checked",
        """
        DECLARE x INT64 DEFAULT 0;
        REPEAT
          SET x = x + 1;
          INSERT INTO s.out VALUES ('repeat', x);
          UNTIL x >= 3
        END REPEAT;
        REPEAT
          SET x = x + 1;
          UNTIL TRUE
        END REPEAT;
        INSERT INTO s.out VALUES ('after', x);
        """,
        [("after", 4), ("repeat", 1), ("repeat", 2), ("repeat", 3)]),
    ScriptCase(
        "FOR ... IN (query): the loop variable is a STRUCT of the row's columns",
        """
        FOR record IN (SELECT word, word_count FROM s.words ORDER BY word_count DESC LIMIT 2) DO
          INSERT INTO s.out VALUES (record.word, record.word_count);
        END FOR;
        """,
        [("methinks", 3), ("other", 9)], setup=_WORDS),
    ScriptCase(
        "BREAK and CONTINUE, and their synonyms LEAVE and ITERATE",
        """
        DECLARE i INT64 DEFAULT 0;
        LOOP
          SET i = i + 1;
          IF i > 7 THEN BREAK; END IF;
          IF MOD(i, 2) = 0 THEN CONTINUE; END IF;
          INSERT INTO s.out VALUES ('odd', i);
        END LOOP;
        SET i = 0;
        WHILE TRUE DO
          SET i = i + 1;
          IF i = 2 THEN ITERATE; END IF;
          IF i = 4 THEN LEAVE; END IF;
          INSERT INTO s.out VALUES ('while', i);
        END WHILE;
        """,
        [("odd", 1), ("odd", 3), ("odd", 5), ("odd", 7), ("while", 1), ("while", 3)]),
    ScriptCase(
        "Labels: BREAK and CONTINUE act on the labelled loop, LEAVE on the labelled block",
        """
        DECLARE x INT64 DEFAULT 0;
        DECLARE y INT64 DEFAULT 0;
        outer_loop: LOOP
          SET x = x + 1;
          SET y = 0;
          WHILE y < 10 DO
            SET y = y + 1;
            IF y = 2 AND x < 3 THEN CONTINUE outer_loop; END IF;
            IF x = 3 THEN BREAK outer_loop; END IF;
            INSERT INTO s.out VALUES (CONCAT('x', CAST(x AS STRING)), y);
          END WHILE;
        END LOOP outer_loop;
        block_1: BEGIN
          INSERT INTO s.out VALUES ('block', 1);
          LEAVE block_1;
          INSERT INTO s.out VALUES ('block', 2);
        END block_1;
        INSERT INTO s.out VALUES ('x', x);
        """,
        [("block", 1), ("x", 3), ("x1", 1), ("x2", 1)]),
    ScriptCase(
        "Nested BEGIN ... END: a block's variables end with the block",
        """
        DECLARE x INT64 DEFAULT 10;
        BEGIN
          DECLARE y INT64;
          SET y = x;
          SET x = y + 1;
          INSERT INTO s.out VALUES ('y', y);
        END;
        BEGIN
          DECLARE y STRING DEFAULT 'a new y';
          INSERT INTO s.out VALUES (y, x);
        END;
        """,
        [("a new y", 11), ("y", 10)]),
    ScriptCase(
        "BEGIN ... EXCEPTION: the failed statement has no effect, those before it keep theirs, the rest is skipped",
        """
        BEGIN
          INSERT INTO s.out VALUES ('before', 1);
          INSERT INTO s.out VALUES ('failing', CAST('not a number' AS INT64));
          INSERT INTO s.out VALUES ('skipped', 1);
        EXCEPTION WHEN ERROR THEN
          INSERT INTO s.out VALUES ('handled', 1);
        END;
        INSERT INTO s.out VALUES ('after', 1);
        """,
        [("after", 1), ("before", 1), ("handled", 1)]),
    ScriptCase(
        "RAISE USING MESSAGE: @@error.message is the message, @@error.statement_text the statement",
        """
        BEGIN
          RAISE USING MESSAGE = CONCAT('bad ', 'day');
        EXCEPTION WHEN ERROR THEN
          INSERT INTO s.out VALUES (@@error.message, 1);
          INSERT INTO s.out VALUES (@@error.statement_text, 2);
        END;
        """,
        [("RAISE USING MESSAGE = CONCAT('bad ', 'day')", 2), ("bad day", 1)]),
    ScriptCase(
        "An error in a handler goes to the handler of the enclosing block",
        """
        BEGIN
          BEGIN
            INSERT INTO s.out VALUES ('inner', CAST('x' AS INT64));
          EXCEPTION WHEN ERROR THEN
            INSERT INTO s.out VALUES ('inner handler', 1);
            RAISE USING MESSAGE = 'from the handler';
          END;
        EXCEPTION WHEN ERROR THEN
          INSERT INTO s.out VALUES (@@error.message, 2);
        END;
        """,
        [("from the handler", 2), ("inner handler", 1)]),
    ScriptCase(
        "RAISE without a message re-raises the error being handled",
        """
        BEGIN
          BEGIN
            RAISE USING MESSAGE = 'original';
          EXCEPTION WHEN ERROR THEN
            INSERT INTO s.out VALUES ('logged', 1);
            RAISE;
          END;
        EXCEPTION WHEN ERROR THEN
          INSERT INTO s.out VALUES (@@error.message, 2);
        END;
        """,
        [("logged", 1), ("original", 2)]),
    ScriptCase(
        "An error in a procedure called by a procedure reaches the caller's handler, with its stack",
        """
        BEGIN
          CALL s.proc2();
        EXCEPTION WHEN ERROR THEN
          INSERT INTO s.out VALUES (@@error.formatted_stack_trace, 3);
        END;
        """,
        [("At s.proc1[2:1]\nAt s.proc2[1:1]\nAt [3:11]", 3), ("proc1 ran", 1)],
        procedures=(("proc1", (), "INSERT INTO s.out VALUES ('proc1 ran', 1);\nSELECT CAST('x' AS INT64);"),
                    ("proc2", (), "CALL s.proc1();\nINSERT INTO s.out VALUES ('proc2 after', 1);"))),
    ScriptCase(
        "RETURN ends the script; in a procedure it returns to the caller",
        """
        CALL s.early(1);
        CALL s.early(5);
        INSERT INTO s.out VALUES ('script', 1);
        RETURN;
        INSERT INTO s.out VALUES ('never', 1);
        """,
        [("early", 1), ("script", 1)],
        procedures=(("early", (("n", "INT64", "IN"),),
                     "IF n > 1 THEN\n  RETURN;\nEND IF;\nINSERT INTO s.out VALUES ('early', n);"),)),
    ScriptCase(
        "CALL with IN, OUT and INOUT arguments: OUT starts NULL, both are copied back",
        """
        DECLARE ret_code INT64 DEFAULT 7;
        DECLARE counter INT64 DEFAULT 10;
        CALL s.update_some_tables('someAccountId', ret_code, counter);
        INSERT INTO s.out VALUES ('ret_code', ret_code), ('counter', counter);
        """,
        [("counter", 11), ("out starts null", 1), ("ret_code", 42), ("someAccountId", 10)],
        procedures=(("update_some_tables",
                     (("account_id", "STRING", "IN"), ("ret_code", "INT64", "OUT"), ("counter", "INT64", "INOUT")),
                     "INSERT INTO s.out VALUES (account_id, counter),\n"
                     "  ('out starts null', IF(ret_code IS NULL, 1, 0));\n"
                     "SET ret_code = 42;\nSET counter = counter + 1;"),)),
    ScriptCase(
        "CREATE TEMP TABLE: a table for the script's time only",
        """
        CREATE TEMP TABLE Books (title STRING, publish_date INT64);
        INSERT INTO Books VALUES ('Hamlet', 1599), ('Emma', 1815);
        INSERT INTO s.out SELECT title, publish_date FROM Books;
        CREATE TEMP TABLE recent AS SELECT title FROM Books WHERE publish_date > 1700;
        INSERT INTO s.out SELECT CONCAT('recent ', title), 0 FROM recent;
        """,
        [("Emma", 1815), ("Hamlet", 1599), ("recent Emma", 0)], fails_after="SELECT * FROM Books"),
    ScriptCase(
        "EXECUTE IMMEDIATE with ? and @name placeholders, INTO, and SQL built by an expression",
        """
        DECLARE book_name STRING DEFAULT 'Ulysses';
        DECLARE book_year INT64 DEFAULT 1922;
        DECLARE first_date INT64;
        DECLARE y INT64;
        EXECUTE IMMEDIATE "CREATE TEMP TABLE Books (title STRING, publish_date INT64)";
        EXECUTE IMMEDIATE "INSERT INTO Books (title, publish_date) VALUES('Hamlet', 1599)";
        EXECUTE IMMEDIATE "INSERT INTO Books (title, publish_date) VALUES(?, ?)" USING book_name, book_year;
        EXECUTE IMMEDIATE "INSERT INTO Books (title, publish_date) VALUES(@name, @year)"
          USING 1815 as year, "Emma" as name;
        EXECUTE IMMEDIATE CONCAT("INSERT INTO Books (title, publish_date)", " VALUES('Middlemarch', 1871)");
        EXECUTE IMMEDIATE "SELECT publish_date FROM Books ORDER BY publish_date LIMIT 1" INTO first_date;
        EXECUTE IMMEDIATE "SELECT ? * (? + 2)" INTO y USING 1, 3;
        INSERT INTO s.out SELECT title, publish_date FROM Books;
        INSERT INTO s.out VALUES ('first_date', first_date), ('y', y);
        EXECUTE IMMEDIATE "SELECT 1 FROM Books WHERE FALSE" INTO y;
        INSERT INTO s.out VALUES ('y after no row', IF(y IS NULL, 1, 0));
        """,
        [("Emma", 1815), ("Hamlet", 1599), ("Middlemarch", 1871), ("Ulysses", 1922), ("first_date", 1599),
         ("y", 5), ("y after no row", 1)]),
    ScriptCase(
        "@@row_count is the number of rows the previous DML statement changed",
        """
        DECLARE n INT64;
        UPDATE s.items SET qty = qty + 1 WHERE qty > 1;
        SET n = @@row_count;
        INSERT INTO s.out VALUES ('updated', n);
        DELETE FROM s.items WHERE TRUE;
        INSERT INTO s.out VALUES ('deleted', @@row_count);
        """,
        [("deleted", 3), ("updated", 2)], setup=_ITEMS),
    ScriptCase(
        "CASE statements, with and without a search expression",
        """
        DECLARE product_id INT64 DEFAULT 2;
        CASE product_id
          WHEN 1 THEN INSERT INTO s.out VALUES ('one', 1);
          WHEN 2 THEN INSERT INTO s.out VALUES ('two', 2);
          ELSE INSERT INTO s.out VALUES ('other', 0);
        END CASE;
        CASE
          WHEN product_id > 5 THEN INSERT INTO s.out VALUES ('big', 1);
          ELSE INSERT INTO s.out VALUES ('small', 1);
        END CASE;
        """,
        [("small", 1), ("two", 2)]),
    ScriptCase(
        "BEGIN TRANSACTION ... ROLLBACK TRANSACTION in a handler: the transaction's writes are undone",
        """
        BEGIN
          BEGIN TRANSACTION;
          INSERT INTO s.out VALUES ('top load washer', 100);
          SELECT CAST('x' AS INT64);
          COMMIT TRANSACTION;
        EXCEPTION WHEN ERROR THEN
          ROLLBACK TRANSACTION;
          INSERT INTO s.out VALUES ('rolled back', 0);
        END;
        BEGIN TRANSACTION;
        INSERT INTO s.out VALUES ('committed', 1);
        COMMIT TRANSACTION;
        """,
        [("committed", 1), ("rolled back", 0)]),
    ScriptCase(
        "ASSERT ... AS description: the description is the error's message",
        """
        ASSERT (SELECT COUNT(*) FROM s.items) = 3 AS 'three items';
        INSERT INTO s.out VALUES ('passed', 1);
        BEGIN
          ASSERT (SELECT COUNT(*) FROM s.items) > 5 AS 'more than five items';
        EXCEPTION WHEN ERROR THEN
          INSERT INTO s.out VALUES (@@error.message, 0);
        END;
        """,
        [("more than five items", 0), ("passed", 1)], setup=_ITEMS),
    ScriptCase(
        "CREATE PROCEDURE inside a script, then CALL it",
        """
        CREATE OR REPLACE PROCEDURE s.double_it(IN v INT64, OUT r INT64)
        BEGIN
          SET r = v * 2;
        END;
        BEGIN
          DECLARE r INT64;
          CALL s.double_it(21, r);
          INSERT INTO s.out VALUES ('doubled', r);
        END;
        """,
        [("doubled", 42)]),
    ScriptCase(
        "A procedure's body is kept as written: quotes, a backslash, $$ and -- inside its strings",
        "CALL S.Quoting();",
        [("it's \\ $$ \u00fc -- not a comment", 1)],
        procedures=(("quoting", (), 'INSERT INTO s.out VALUES ("it\'s \\\\ $$ \u00fc -- not a comment", 1);'),)),
    ScriptCase(
        "An ARRAY variable set from a query and UNNESTed",
        """
        DECLARE top_names ARRAY<STRING>;
        SET top_names = (SELECT ARRAY_AGG(word) FROM s.words WHERE word_count > 2);
        INSERT INTO s.out SELECT name, 1 FROM UNNEST(top_names) AS name WHERE name IN (SELECT word FROM s.words);
        """,
        [("methinks", 1), ("other", 1)], setup=_WORDS),
    ScriptCase(
        "A script that fails leaves every table as it was (RAISE after DELETE and INSERT)",
        """
        INSERT INTO s.out VALUES ('written', 2);
        DELETE FROM s.out WHERE k = 'kept';
        RAISE USING MESSAGE = 'stop here';
        """,
        [("kept", 1)], setup=("INSERT INTO s.out VALUES ('kept', 1)",), error="stop here"),
]


def check_script_case(engine: Any, case: ScriptCase) -> None:
    """Run ``case`` on ``engine`` (a fresh warehouse) and assert the rows it leaves in ``s.out``."""
    import pytest

    from dop_core.config.identifiers import Relation
    from dop_core.contract.engine import Argument
    from dop_core.errors import EngineError

    engine.create_schema("s")
    for sql in (OUT, *case.setup):
        engine.execute(engine.translate(sql, "bigquery"))
    for name, arguments, body in case.procedures:
        engine.create_procedure(Relation("s", name), [Argument(*a) for a in arguments], body, "bigquery")
    if case.error is None:
        engine.call(case.script, "bigquery")
    else:
        with pytest.raises(EngineError, match=case.error):
            engine.call(case.script, "bigquery")
    assert [tuple(row) for row in engine.query(engine.translate(ROWS, "bigquery")).rows] == case.rows
    if case.fails_after is not None:
        with pytest.raises(EngineError):
            engine.call(case.fails_after, "bigquery")


def check_transactions(engine: Any, schema: str) -> None:
    """``engine``'s transactions are all or nothing, and a savepoint keeps one going after a failed statement
    (what a script's exception handler needs). ``schema`` exists and is empty."""
    import pytest

    def values() -> list[Any]:
        return [row[0] for row in engine.query(f"SELECT x FROM {schema}.t ORDER BY x").rows]

    engine.execute(f"CREATE TABLE {schema}.t AS SELECT 1 AS x")
    with pytest.raises(Exception, match="no_such_table"), engine.transaction():
        engine.execute(f"DELETE FROM {schema}.t")
        engine.execute(f"INSERT INTO {schema}.no_such_table SELECT 3")
    assert values() == [1]
    with engine.transaction():
        assert engine.execute_dml(f"INSERT INTO {schema}.t SELECT 2 UNION ALL SELECT 3") == 2
        mark = engine.savepoint()
        engine.execute(f"INSERT INTO {schema}.t SELECT 4")
        with pytest.raises(Exception, match="no_such_table"):
            engine.execute(f"INSERT INTO {schema}.no_such_table SELECT 5")
        engine.rollback_to(mark)
        engine.execute(f"INSERT INTO {schema}.t SELECT 6")
        engine.release(engine.savepoint())
    assert values() == [1, 2, 3, 6]
