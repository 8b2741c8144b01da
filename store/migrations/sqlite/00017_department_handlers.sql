-- A department's handlers see the cases handed to their department.

-- +goose Up
ALTER TABLE staff_users ADD COLUMN department_id INTEGER NULL REFERENCES departments (id);

-- +goose Down
ALTER TABLE staff_users DROP COLUMN department_id;
