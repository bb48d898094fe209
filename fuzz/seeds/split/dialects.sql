CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;
SELECT E'it\'s; here', 'back\\slash', N'x', X'ff', `quoted;name`, [bracket;name];
# a MySQL comment; with a semicolon
/* nested /* block */ comment; */ SELECT 1;
COPY t FROM STDIN;
1	a;b
\.
CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = CASE WHEN n > 1 THEN 1 ELSE 2 END; END;
CREATE PROCEDURE p() BEGIN WHILE 0 DO SELECT 2; END WHILE; REPEAT SELECT 3; UNTIL 1 END REPEAT; END;
DELIMITER //
